/**
 * Alert redelivery over HTTP (write scope): `POST /v1/alerts/redeliver` `{all?, run_id?}` sends the deliveries
 * that did not arrive and are due again (`all`: every one waiting), as `featureguard alerts redeliver` does, and
 * answers what it did and how many still wait (the 100 soonest listed). `serve` also does it every 15 s. `run_id` is
 * a run's id or its first 8 characters or more, as the CLI's `--run` takes it.
 */
import { Hono } from 'hono';
import { redeliverAndReport } from '../../alerts/redelivery.js';
import { resolveRunId } from '../../runs/run-id.js';
import { jsonBody } from '../body.js';
import type { ServerContext } from '../context.js';

interface RedeliverBody {
  all?: boolean;
  run_id?: string;
}

export function alertRoutes(ctx: ServerContext): Hono {
  const { project } = ctx;
  const app = new Hono();
  app.use('*', ctx.auth.requireScope('write'));
  app.post('/redeliver', async (c) => {
    const body = await jsonBody<RedeliverBody>(c, 'alerts_redeliver', ctx.limits.bodyLimit);
    // `all` tries at most 2,000 (100 at a time, up to 5 s each against a receiver that does not answer): a request ends.
    const runId = body.run_id === undefined ? undefined : resolveRunId(project, body.run_id);
    return c.json(await redeliverAndReport(project, { all: body.all === true, runId, max: 2_000 }));
  });
  return app;
}
