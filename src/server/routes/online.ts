/**
 * `POST /v1/online-features` and Feast's `POST /get-online-features` (read scope):
 * the Feast request body in (`features` or `feature_service`, `entities`,
 * `full_feature_names`), the Feast response shape out. Entity rows per request
 * are capped (`server.max_entities`, default 1,000; 413 beyond).
 */
import { Hono } from 'hono';
import { getOnlineFeaturesJson } from '../../serving/online-features.js';
import { jsonBody } from '../body.js';
import type { ServerContext } from '../context.js';

/** The Feast `get-online-features` request body. */
export interface FeastOnlineRequest {
  features?: string[];
  feature_service?: string;
  entities: Record<string, (string | number)[]>;
  full_feature_names?: boolean;
}

export function onlineRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  app.post('/', ctx.auth.requireScope('read'), async (c) => {
    const body = await jsonBody<FeastOnlineRequest>(c, 'online_features', ctx.limits.bodyLimit);
    const json = await getOnlineFeaturesJson(
      ctx.project,
      { features: body.features, service: body.feature_service, entities: body.entities, fullFeatureNames: body.full_feature_names === true },
      { maxEntities: ctx.limits.maxEntities },
    );
    return c.body(json, 200, { 'content-type': 'application/json' });
  });
  return app;
}
