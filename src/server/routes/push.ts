/**
 * `POST /v1/push` and Feast's `POST /push` (write scope). Accepts featureguard's
 * `{view, rows, to}` and Feast's `{push_source_name, df: {column: [values]}, to}`
 * (columns the view does not have are left out, as Feast does). Also Feast's
 * `POST /write-to-online-store` (`{feature_view_name, df}`), a push `to: online`.
 * A push the guards block answers 422 `push_blocked` with the run id.
 */
import { Hono, type Context } from 'hono';
import { FeatureguardError, InputError } from '../../errors.js';
import { push, type PushRequest } from '../../serving/push.js';
import { rowsFromColumns } from '../../serving/push-rows.js';
import type { Project } from '../../project.js';
import { jsonBody } from '../body.js';
import type { ServerContext } from '../context.js';

interface PushBody {
  view?: string;
  push_source_name?: string;
  rows?: Record<string, unknown>[];
  df?: Record<string, unknown>;
  to?: PushRequest['to'];
}

/** The view a Feast `push_source_name` means: a view of that name, or the one view reading a source of that name. */
export function viewForPushSource(project: Project, name: string): string {
  const set = project.registry.current();
  if (set.views.has(name)) return name;
  const readers = [...set.views.values()].filter((v) => v.source === name).map((v) => v.name);
  if (readers.length === 1) return readers[0];
  if (readers.length > 1) throw new InputError(`source '${name}' is read by several views (${readers.join(', ')}); push to one view by name`, { views: readers });
  throw new InputError(`no feature view or source named '${name}'`, { known: [...set.views.keys()] }, 'unknown_view');
}

/** Push as the HTTP API answers it: 422 `push_blocked` for a blocked push; the run counted in the metrics. */
async function pushAnswer(ctx: ServerContext, c: Context, request: PushRequest): Promise<Response> {
  const view = request.view;
  try {
    // The answer does not wait for webhooks (their attempts are recorded with the run).
    const result = await push(ctx.project, request, { deliverAlerts: (d) => ctx.background.track(d) });
    ctx.metrics.recordRun('push', view, result.status);
    if (result.status === 'blocked') {
      throw new FeatureguardError('push_blocked', `push blocked by the guards: ${result.blocked_reason ?? 'a blocking check failed'}; nothing was written`, {
        status: 422, exitCode: 1, details: { ...result },
      });
    }
    ctx.metrics.pushRows.inc({ view, to: result.to }, result.rows);
    return c.json(result);
  } catch (e) {
    if (!(e instanceof FeatureguardError) || e.status >= 500) ctx.metrics.recordRun('push', view, 'failed');
    // Rows that did not fit the view: recorded as a blocked run (`details.run_id`), counted as one.
    else if (e.code === 'invalid_rows' && (e.details as { run_id?: string } | undefined)?.run_id) ctx.metrics.recordRun('push', view, 'blocked');
    throw e;
  }
}

export function pushRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  app.post('/', ctx.auth.requireScope('write'), async (c) => {
    const body = await jsonBody<PushBody>(c, 'push', ctx.limits.bodyLimit);
    const view = body.view ?? viewForPushSource(ctx.project, body.push_source_name as string);
    const rows = body.rows ?? rowsFromColumns(body.df ?? {});
    // Feast's body (`push_source_name`, `df`): columns the view does not have are left out, as Feast does.
    return pushAnswer(ctx, c, { view, rows, to: body.to, ignoreUnknownColumns: body.push_source_name !== undefined });
  });
  return app;
}

/** Feast's `POST /write-to-online-store` (its remote online store's writes): a push `to: online`, Feast-lenient. */
export function writeToOnlineStoreRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  app.post('/', ctx.auth.requireScope('write'), async (c) => {
    const body = await jsonBody<{ feature_view_name: string; df: Record<string, unknown> }>(c, 'write_to_online_store', ctx.limits.bodyLimit);
    return pushAnswer(ctx, c, { view: body.feature_view_name, rows: rowsFromColumns(body.df), to: 'online', ignoreUnknownColumns: true });
  });
  return app;
}
