/**
 * `POST /v1/push` and Feast's `POST /push` (write scope). Accepts featureguard's
 * `{view, rows, to}` and Feast's `{push_source_name, df: {column: [values]}, to}`
 * (columns the view does not have are left out, as Feast does). Also Feast's
 * `POST /write-to-online-store` (`{feature_view_name, df}`), a push `to: online`.
 * A push the guards block answers 422 `push_blocked` with the run id.
 */
import { Hono, type Context } from 'hono';
import { getView } from '../../definitions/definition-set.js';
import { FeatureguardError } from '../../errors.js';
import { checkPushRows, push, pushTarget, type PushOptions } from '../../serving/push.js';
import type { PushRequest, PushResult } from '../../serving/push-types.js';
import { pushToViews, viewsForPushSource, type ViewsPushResult } from '../../serving/push-source.js';
import { ALL_NULL_FEATURES, featureValuesAllNull } from '../../serving/push-frame.js';
import { refuseMissingColumnsRecorded } from '../../serving/push-refusal.js';
import { rowsFromColumns } from '../../serving/push-rows.js';
import { feastFields, readJson, validateBody } from '../body.js';
import { maxCells, type ServerContext } from '../context.js';
import { UNKNOWN_VIEW_LABEL } from '../metrics.js';
import { noteRuns } from '../request-runs.js';

interface PushBody {
  view?: string;
  push_source_name?: string;
  rows?: Record<string, unknown>[];
  df?: Record<string, unknown>;
  to?: PushRequest['to'];
}

/**
 * The options of a request's push: alerts delivered in the background (the answer does not wait for webhooks;
 * their attempts are recorded with the run), the request's key as the trigger, and each run noted for the request
 * log as soon as it is recorded, so that a push failing after that (a 503) names its run too.
 */
function pushOptions(ctx: ServerContext, c: Context, started: RecordedRun[] = []): PushOptions {
  return {
    deliverAlerts: (d) => ctx.background.track(d),
    trigger: ctx.auth.runTrigger(c),
    onRun: (run) => {
      started.push(run);
      noteRuns(c, [run]);
    },
  };
}

/** A push run as `PushOptions.onRun` tells it. */
type RecordedRun = Parameters<NonNullable<PushOptions['onRun']>>[0];

/** Push as the HTTP API answers it: 422 `push_blocked` for a blocked push; the run counted in the metrics. */
async function pushAnswer(ctx: ServerContext, c: Context, request: PushRequest): Promise<Response> {
  const result = await pushResult(ctx, c, request);
  return c.json(result, 200, result.replayed ? REPLAYED : undefined);
}

/** The header of an answer replayed for an `Idempotency-Key` sent before (see push-idempotency.ts). */
const REPLAYED = { 'idempotent-replayed': 'true' };

/** The result of `pushAnswer`'s push (a blocked push thrown as 422 `push_blocked`). */
async function pushResult(ctx: ServerContext, c: Context, request: PushRequest): Promise<PushResult> {
  const view = request.view;
  noteRuns(c, [{ view, run_id: null }]);
  const started: RecordedRun[] = [];
  let result: PushResult;
  try {
    result = await push(ctx.project, request, pushOptions(ctx, c, started));
  } catch (e) {
    countFailure(ctx, e, started, [], view);
    throw e;
  }
  // A replay is the earlier push's answer: its run was counted then.
  if (!result.replayed) countPush(ctx, result);
  noteRuns(c, [{ view, run_id: result.run_id }]);
  if (result.status === 'blocked') {
    // The replay of a blocked push is its 422 again, marked as one as the 200 of a replay is.
    if (result.replayed) c.header('idempotent-replayed', 'true');
    throw new FeatureguardError('push_blocked', `push blocked by the guards: ${result.blocked_reason ?? 'a blocking check failed'}; nothing was written`, {
      status: 422, exitCode: 1, details: { ...result },
    });
  }
  return result;
}

/**
 * A push that threw, in the metrics: `blocked` for rows that did not fit a view or left out its feature columns (an
 * `invalid_rows` or `missing_feature_columns` with the runs it recorded); `failed` when a run was recorded (`started`) that did not end with a result
 * (`written`), since the push then marked it failed, whatever the answer (a 503, or a 409 `online_drop_pending`
 * once the guards had passed), or when the error is the server's (5xx) before any run; a refusal before any run (a
 * 4xx) counts nothing. Under the view the error names (`details.failed_view`), else the run's, else `fallback` (the
 * name the client sent: kept only when the registry has it, `knownName`).
 */
function countFailure(ctx: ServerContext, e: unknown, started: readonly RecordedRun[], written: readonly PushResult[], fallback: string): void {
  // Rows that did not fit a view, or left out its feature columns: recorded as blocked runs, counted so under their views.
  const blocked = blockedRuns(e);
  if (blocked.length > 0) {
    for (const id of blocked) ctx.metrics.recordRun('push', started.find((r) => r.run_id === id)?.view ?? fallback, 'blocked');
    return;
  }
  const failedRun = started.find((r) => !written.some((w) => w.run_id === r.run_id));
  if (failedRun === undefined && e instanceof FeatureguardError && e.status < 500) return;
  const named = e instanceof FeatureguardError ? (e.details as { failed_view?: unknown } | undefined)?.failed_view : undefined;
  ctx.metrics.recordRun('push', typeof named === 'string' ? named : (failedRun?.view ?? knownName(ctx, fallback)), 'failed');
}

/**
 * A name a request sent (a view, or a Feast push source) as a metrics label: itself when the registry has a view or
 * source of that name, else `UNKNOWN_VIEW_LABEL` (also when the registry cannot be read, the failure being counted).
 * A 5xx before any run was counted under whatever the client sent: each typo a new series, without bound.
 */
function knownName(ctx: ServerContext, name: string): string {
  try {
    const set = ctx.project.registry.current();
    return set.views.has(name) || set.sources.has(name) ? name : UNKNOWN_VIEW_LABEL;
  } catch {
    return UNKNOWN_VIEW_LABEL;
  }
}

/**
 * The blocked runs a refusal names: an `invalid_rows` its `details.run_id`, a `missing_feature_columns` the `run_id`
 * of each view in `details.views` (none when the refusal recorded no run: no rows, a ragged frame).
 */
function blockedRuns(e: unknown): string[] {
  if (!(e instanceof FeatureguardError)) return [];
  const details = e.details as { run_id?: unknown; views?: unknown } | undefined;
  if (e.code === 'invalid_rows') return typeof details?.run_id === 'string' ? [details.run_id] : [];
  if (e.code !== 'missing_feature_columns' || !Array.isArray(details?.views)) return [];
  return details.views.map((v: { run_id?: unknown }) => v.run_id).filter((id): id is string => typeof id === 'string');
}

/** A finished push in the metrics: its run, and its rows unless it was blocked. */
function countPush(ctx: ServerContext, result: PushResult): void {
  ctx.metrics.recordRun('push', result.view, result.status);
  if (result.status !== 'blocked') ctx.metrics.pushRows.inc({ view: result.view, to: result.to }, result.rows);
}

/** An empty frame in a Feast body: nothing to push, no run (Feast's server skips it and answers 200 too). */
function nothingToPush(c: Context, to: PushRequest['to']): Response {
  return c.json({ status: 'success', to: pushTarget(to), rows: 0, views: [] });
}

/** A view a Feast frame was not written to online because its feature values are all null (as Feast skips it): no run. */
interface SkippedPush {
  readonly run_id: null;
  readonly view: string;
  readonly status: 'success';
  readonly to: 'online';
  readonly rows: 0;
  readonly written: 0;
  readonly skipped: 0;
  readonly superseded: 0;
  readonly file: null;
  readonly blocked_reason: null;
  readonly counts: PushResult['counts'];
  readonly skipped_reason: string;
}

const skippedPush = (view: string): SkippedPush => ({
  run_id: null, view, status: 'success', to: 'online', rows: 0, written: 0, skipped: 0, superseded: 0, file: null, blocked_reason: null,
  counts: { pass: 0, warn: 0, fail: 0, error: 0, skipped: 0 }, skipped_reason: ALL_NULL_FEATURES,
});

/**
 * Check a frame a Feast push skips online (its feature values all null) as a push of it would be checked: missing
 * feature columns (400 `missing_feature_columns`), then rows that do not fit each view (a join key missing, a
 * timestamp that is no time: 400 `invalid_rows`, recorded as the view's blocked push run and counted so).
 */
async function checkSkippedRows(ctx: ServerContext, c: Context, views: readonly string[], request: Omit<PushRequest, 'view'>): Promise<void> {
  const started: RecordedRun[] = [];
  try {
    await checkPushRows(ctx.project, views, request, pushOptions(ctx, c, started));
  } catch (e) {
    countFailure(ctx, e, started, [], views[0] ?? '');
    throw e;
  }
}

/**
 * A Feast frame's push to one view: refused when it lacks a feature column (in `push`); when its feature values are
 * all null, not written online, as Feast's `write_to_online_store` skips it — `to: online` writes nothing, `to:
 * both` appends the rows offline only, as Feast's offline write still takes them. Such a frame is checked first
 * as any frame is: a view that is not online is refused (`view_not_online`, in `push`), and so are rows that do
 * not fit the view.
 */
async function feastPushAnswer(ctx: ServerContext, c: Context, request: PushRequest): Promise<Response> {
  const set = ctx.project.registry.current();
  const view = getView(set, request.view);
  const to = pushTarget(request.to);
  if (to === 'offline' || view.online !== true || !featureValuesAllNull(set, view, request.rows)) return pushAnswer(ctx, c, request);
  await checkSkippedRows(ctx, c, [view.name], request);
  if (to === 'online') return c.json(skippedPush(view.name));
  const offline = await pushResult(ctx, c, { ...request, to: 'offline' });
  return c.json({ ...offline, skipped_reason: `${ALL_NULL_FEATURES}; the rows were appended offline only, as Feast's offline write takes them` });
}

/**
 * A Feast push to a source (`source`) several views read: one run per view; 422 `push_blocked` when the guards
 * blocked any.
 */
async function pushViewsAnswer(ctx: ServerContext, c: Context, source: string, views: readonly string[], request: Omit<PushRequest, 'view'>): Promise<Response> {
  // Feast writes each view of the source in turn and skips one whose feature values are all null: a view's
  // missing column is refused first (before any view is written), then the skipped views are left out.
  const set = ctx.project.registry.current();
  const online = views.filter((v) => set.views.get(v)?.online === true);
  // A view's missing columns recorded as its blocked run, as a single view's push records them.
  const refusing: RecordedRun[] = [];
  try {
    await refuseMissingColumnsRecorded(ctx.project, set, online.map((v) => getView(set, v)), request.rows, pushTarget(request.to), pushOptions(ctx, c, refusing));
  } catch (e) {
    countFailure(ctx, e, refusing, [], source);
    throw e;
  }
  const skipped = pushTarget(request.to) === 'online' ? online.filter((v) => featureValuesAllNull(set, getView(set, v), request.rows)).map(skippedPush) : [];
  // The skipped views' rows are checked as the pushed views' are (before any view is written).
  if (skipped.length > 0) await checkSkippedRows(ctx, c, skipped.map((s) => s.view), request);
  if (skipped.length > 0 && skipped.length === online.length) return c.json({ status: 'success', to: 'online', rows: 0, views: skipped });
  let result: ViewsPushResult;
  const started: RecordedRun[] = [];
  try {
    result = await pushToViews(ctx.project, views.filter((v) => !skipped.some((s) => s.view === v)), request, pushOptions(ctx, c, started));
    noteRuns(c, result.views.map((r) => ({ view: r.view, run_id: r.run_id })));
  } catch (e) {
    // A failure part way: the views written before it count as the pushes they were, the failure as its view's
    // (also the first view's, which no error names; the source's when no run was recorded).
    const details = (e instanceof FeatureguardError ? e.details : null) as { views?: PushResult[] } | null;
    const written = details?.views ?? [];
    for (const r of written) countPush(ctx, r);
    countFailure(ctx, e, started, written, source);
    throw e;
  }
  for (const r of result.views) if (!r.replayed) countPush(ctx, r);
  const answer = { ...result, views: [...result.views, ...skipped].sort((a, b) => (a.view < b.view ? -1 : a.view > b.view ? 1 : 0)) };
  const blocked = result.views.filter((r) => r.status === 'blocked');
  if (blocked.length > 0) {
    const written = result.views.filter((r) => r.status !== 'blocked').map((r) => r.view);
    throw new FeatureguardError('push_blocked', `push blocked by the guards for ${blocked.map((r) => `'${r.view}' (${r.blocked_reason ?? 'a blocking check failed'})`).join(', ')}; nothing was written for ${blocked.length === 1 ? 'it' : 'them'}${written.length > 0 ? `; written for ${written.map((v) => `'${v}'`).join(', ')}` : ''}`, {
      status: 422, exitCode: 1, details: answer,
    });
  }
  return c.json(answer, 200, result.views.length > 0 && result.views.every((r) => r.replayed) ? REPLAYED : undefined);
}

/**
 * The fields of Feast's push and write requests that featureguard reads; a Feast body's others are ignored, as
 * Feast's server ignores fields it does not know (`allow_registry_cache` and `transform_on_write`, which pydantic
 * also reads from "true" or 1, are ignored by featureguard anyway). featureguard's own `{view, rows}` body is
 * validated as sent: a misspelt field is a 400.
 */
const FEAST_PUSH_FIELDS = ['push_source_name', 'df', 'to'] as const;
const FEAST_WRITE_FIELDS = ['feature_view_name', 'df'] as const;

/** A push body in Feast's form (`push_source_name`, no `view`). */
const isFeastPush = (body: unknown): boolean =>
  body !== null && typeof body === 'object' && !Array.isArray(body) && 'push_source_name' in body && !('view' in body);

export function pushRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  app.post('/', ctx.auth.requireScope('write'), async (c) => {
    const raw = await readJson(c, ctx.limits.bodyLimit);
    const body = validateBody<PushBody>('push', isFeastPush(raw) ? feastFields(raw, FEAST_PUSH_FIELDS) : raw);
    const rows = body.rows ?? rowsFromColumns(body.df ?? {}, 'df', 'invalid_rows', maxCells(ctx.limits));
    // A retried request's key (checked by `push`): the first answer again, nothing written twice.
    const idempotencyKey = c.req.header('idempotency-key');
    const keyed = idempotencyKey === undefined ? {} : { idempotencyKey };
    if (body.view !== undefined) return pushAnswer(ctx, c, { view: body.view, rows, to: body.to, ...keyed });
    // Feast's body (`push_source_name`, `df`): columns the view does not have are left out, as Feast does, and a
    // source several views read is pushed to each of them.
    const views = viewsForPushSource(ctx.project, body.push_source_name as string);
    if (rows.length === 0) return nothingToPush(c, body.to);
    const request = { rows, to: body.to, ignoreUnknownColumns: true, ...keyed };
    return views.length === 1 ? feastPushAnswer(ctx, c, { ...request, view: views[0] }) : pushViewsAnswer(ctx, c, body.push_source_name as string, views, request);
  });
  return app;
}

/** Feast's `POST /write-to-online-store` (its remote online store's writes): a push `to: online`, Feast-lenient. */
export function writeToOnlineStoreRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  app.post('/', ctx.auth.requireScope('write'), async (c) => {
    const body = validateBody<{ feature_view_name: string; df: Record<string, unknown> }>('write_to_online_store', feastFields(await readJson(c, ctx.limits.bodyLimit), FEAST_WRITE_FIELDS));
    const rows = rowsFromColumns(body.df, 'df', 'invalid_rows', maxCells(ctx.limits));
    if (rows.length === 0) {
      getView(ctx.project.registry.current(), body.feature_view_name); // an unknown view is still a 400
      return nothingToPush(c, 'online');
    }
    return feastPushAnswer(ctx, c, { view: body.feature_view_name, rows, to: 'online', ignoreUnknownColumns: true });
  });
  return app;
}
