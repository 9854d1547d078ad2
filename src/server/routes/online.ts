/**
 * `POST /v1/online-features` and Feast's `POST /get-online-features` (read scope):
 * the Feast request body in (`features` or `feature_service`, `entities`,
 * `full_feature_names`), the Feast response shape out. Entity rows per request
 * are capped (`server.max_entities`, default 1,000; 413 beyond).
 *
 * Feast's path reads a body as Feast's server does (`feastReadBody`): fields it
 * does not know are ignored, a null is an absent field, and a named feature service
 * wins over `features`; `view@latest:feature` is `view:feature` (`feastFeatureRefs`), and an
 * entity's name given for its join key is read as the key (`entityNamesAsJoinKeys`). featureguard's
 * own path refuses all of that, so that a misspelt field is a 400 instead of a silent default, and both
 * `features` and `feature_service` a 400 ("give 'features' or 'feature_service', not both": the schema's
 * pair, said as for every route by `body-problems.ts`).
 */
import { Hono } from 'hono';
import { InputError } from '../../errors.js';
import { getOnlineFeaturesJson } from '../../serving/online-features.js';
import { feastFields, invalidBody, laxBoolean, readJson, validateBody } from '../body.js';
import { LAX_BOOLEAN_WORDS, shown } from '../body-problems.js';
import type { ServerContext } from '../context.js';
import { entityNamesAsJoinKeys, feastFeatureRefs } from './feast.js';

/** The Feast `get-online-features` request body. */
export interface FeastOnlineRequest {
  features?: string[];
  feature_service?: string;
  entities: Record<string, (string | number)[]>;
  full_feature_names?: boolean;
}

/** The fields of a read; Feast's server ignores any other. */
const READ_FIELDS = ['features', 'feature_service', 'entities', 'full_feature_names'] as const;

/** A Feast client's read body as Feast's server takes it (see the module comment); other values are left to the schema. */
export function feastReadBody(body: unknown, currentVersion: (view: string) => number | undefined = () => undefined): unknown {
  // By shape, not by identity: NaN (which JSON bodies may hold) is not equal to itself.
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const fields = feastFields(body, READ_FIELDS) as Record<string, unknown>;
  if (fields.feature_service === '') delete fields.feature_service;
  else if (typeof fields.feature_service === 'string') delete fields.features;
  if ('features' in fields) fields.features = feastFeatureRefs(fields.features, currentVersion);
  if ('full_feature_names' in fields) {
    const full = laxBoolean(fields.full_feature_names);
    if (typeof full !== 'boolean') {
      // Said as what Feast takes (its text forms too), not as the schema's "must be a boolean".
      throw invalidBody([{ path: '/full_feature_names', message: `must be ${LAX_BOOLEAN_WORDS}, got ${shown(full)}` }]);
    }
    fields.full_feature_names = full;
  }
  return fields;
}

/**
 * A reference given twice is refused, as Feast's `_validate_feature_refs` refuses it (the answer would have fewer
 * columns than were asked for); the SDK and datasets read it once.
 */
function refuseRepeatedRefs(refs: readonly string[]): void {
  const seen = new Set<string>();
  for (const ref of refs) {
    if (seen.has(ref)) throw new InputError(`feature reference '${ref}' is given twice; give each reference once`, { reference: ref }, 'feature_name_collision');
    seen.add(ref);
  }
}

export function onlineRoutes(ctx: ServerContext, options: { feast?: boolean } = {}): Hono {
  const app = new Hono();
  const currentVersion = (view: string) => ctx.project.registry.currentVersions().get(`feature_view/${view}`)?.version;
  app.post('/', ctx.auth.requireScope('read'), async (c) => {
    const raw = await readJson(c, ctx.limits.bodyLimit);
    const body = validateBody<FeastOnlineRequest>('online_features', options.feast ? feastReadBody(raw, currentVersion) : raw);
    if (body.features) refuseRepeatedRefs(body.features);
    const read = (entities: FeastOnlineRequest['entities']) => getOnlineFeaturesJson(
      ctx.project,
      { features: body.features, service: body.feature_service, entities, fullFeatureNames: body.full_feature_names === true },
      { maxEntities: ctx.limits.maxEntities, feastKeys: options.feast === true, pythonJson: options.feast === true },
    );
    let json: string;
    try {
      json = await read(body.entities);
    } catch (e) {
      // Feast's path: an entity's name for its join key is read as the key (`entityNamesAsJoinKeys`), looked up only then.
      const named = options.feast && e instanceof InputError && e.code === 'missing_join_key' ? entityNamesAsJoinKeys(body.entities, ctx.project.registry.current()) : null;
      if (named === null) throw e;
      json = await read(named);
    }
    return c.body(json, 200, { 'content-type': 'application/json' });
  });
  return app;
}
