/**
 * Routes only Feast's clients call (its online reads, pushes and writes are
 * aliases of featureguard's own routes, in their modules).
 *
 * Feast's `POST /materialize` and `POST /materialize-incremental` (write scope):
 * what Feast's Python SDK and CLI (0.66+) send to the feature server when the
 * online store is `remote`. The same materialization jobs as `/v1/materialize`.
 *
 * Without `?async=true` the answer waits for the job, as Feast's does: 200 with
 * the finished job; a view the guards blocked makes it a 422 `materialize_blocked`
 * and a failed one a 500 `materialize_failed` (both with the job in `details`),
 * so that the client raises instead of reporting success. With `?async=true`:
 * 202 `{status: "accepted", feature_views, job_id, poll}`. `?force=true` is
 * accepted and changes nothing: a materialization whose process died is taken
 * over once its lease lapses, without forcing. An `end_ts` after now is capped at
 * now (`end_clamped` in the answer), where `/v1/materialize` refuses it; a `start_ts` at or after that capped end
 * is nothing to materialize (each view `up_to_date`), not a 400. A view
 * materializing is waited for without `?async=true` (`startWhenFree`: Feast's
 * synchronous path never answers 409) until the client disconnects (then nothing is started), and a 409 at once
 * with it.
 */
import { Hono, type Context } from 'hono';
import type { DefinitionSet } from '../../definitions/types.js';
import { FeatureguardError, InputError } from '../../errors.js';
import { materializableViews } from '../../materialize/materialize.js';
import type { MaterializeOptions } from '../../materialize/types.js';
import { invalidBody, laxBoolean, readJson, validateBody } from '../body.js';
import { LAX_BOOLEAN_WORDS, shown } from '../body-problems.js';
import type { ServerContext } from '../context.js';
import { parseInstant } from '../../time/instant.js';
import { noteRuns } from '../request-runs.js';
import type { MaterializeJob } from '../materialize-jobs.js';

interface FeastMaterializeBody {
  start_ts?: string | null;
  end_ts?: string | null;
  feature_views?: string[] | null;
  disable_event_timestamp?: boolean;
}

/** Feast's `disable_event_timestamp`: everything up to now. */
const EVERYTHING_FROM = '1970-01-01T00:00:00Z';

export function feastMaterializeRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  app.post('/materialize', ctx.auth.requireScope('write'), async (c) => {
    const body = validateBody<FeastMaterializeBody>('feast_materialize', windowGiven(laxBooleans(await readJson(c, ctx.limits.bodyLimit))));
    if (body.disable_event_timestamp === true) return answer(ctx, c, body.feature_views, { start: EVERYTHING_FROM });
    return answer(ctx, c, body.feature_views, { start: body.start_ts! }, body.end_ts!);
  });
  app.post('/materialize-incremental', ctx.auth.requireScope('write'), async (c) => {
    const body = validateBody<FeastMaterializeBody & { end_ts: string }>('feast_materialize_incremental', laxBooleans(await readJson(c, ctx.limits.bodyLimit)));
    return answer(ctx, c, body.feature_views, { incremental: true }, body.end_ts);
  });
  return app;
}

/** How Feast's `end_ts` was taken: as sent, or capped at the server's now (`end_clamped`, the answer says so). */
type EndTaken = { readonly end: string | Date | undefined; readonly clamped: null } | { readonly end: Date; readonly clamped: { readonly end_clamped: true; readonly end_requested: string; readonly end: string } };

/**
 * Feast's `end_ts` capped at now. Feast's server takes an end in the future, and its templates send
 * `datetime.now()` — local time without a zone, read as UTC — so a client east of UTC, or with a clock a second
 * ahead, sends one. A window never ends after now (an incremental run would start there and skip the rows
 * arriving until then), so it ends at now instead. An end that is no instant is left for the window to refuse.
 */
function endTaken(endTs: string | undefined, now = new Date()): EndTaken {
  if (endTs === undefined) return { end: undefined, clamped: null };
  let end: Date;
  try {
    end = parseInstant(endTs, 'end_ts');
  } catch {
    return { end: endTs, clamped: null };
  }
  if (end.getTime() <= now.getTime()) return { end: endTs, clamped: null };
  return { end: now, clamped: { end_clamped: true, end_requested: endTs, end: now.toISOString() } };
}

/**
 * A Feast body's booleans as pydantic's lax mode reads them (`"true"`, `1`, `"off"`: `laxBoolean`), as the reads'
 * `full_feature_names` is; another value is a 400 naming the words taken (the schema would say "must be boolean").
 */
function laxBooleans(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const given = { ...(body as Record<string, unknown>) };
  for (const field of ['disable_event_timestamp', 'full_feature_names']) {
    if (!(field in given) || given[field] === null) continue;
    const read = laxBoolean(given[field]);
    if (typeof read !== 'boolean') throw invalidBody([{ path: `/${field}`, message: `must be ${LAX_BOOLEAN_WORDS}, got ${shown(read)}` }]);
    given[field] = read;
  }
  return given;
}

/**
 * The window of a Feast body said plainly before the schema (whose `if`/`then` would only say "must have required
 * property"): `start_ts` and `end_ts` unless `disable_event_timestamp` is true.
 */
function windowGiven(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const given = body as Record<string, unknown>;
  if (given.disable_event_timestamp === true) return body;
  const missing = (['start_ts', 'end_ts'] as const).filter((k) => typeof given[k] !== 'string');
  if (missing.length === 0) return body;
  throw new InputError(
    `invalid request body: ${missing.join(' and ')} required unless disable_event_timestamp is true`,
    { problems: missing.map((k) => ({ path: `/${k}`, message: 'required unless disable_event_timestamp is true' })) },
    'invalid_request',
  );
}

async function answer(ctx: ServerContext, c: Context, views: readonly string[] | null | undefined, window: MaterializeOptions, endTs?: string): Promise<Response> {
  const runAsync = flag('async', c.req.query('async'));
  flag('force', c.req.query('force')); // read only to refuse a value that is no boolean (see the module comment)
  // Feast materializes no view for an empty list (null means all).
  if (views !== null && views !== undefined && views.length === 0) {
    return runAsync ? c.json({ status: 'accepted', feature_views: [], job_id: null, poll: null }, 202) : c.json({ status: 'done', runs: [] });
  }
  const { end, clamped } = endTaken(endTs);
  const start = clamped && window.start !== undefined ? instantOrNull(window.start) : null;
  if (clamped && start !== null && start.getTime() >= Date.parse(clamped.end)) return nothingBeforeNow(ctx, c, views, start, clamped, runAsync);
  // Synchronous: Feast's server never answers 409 there, so a view materializing is waited for (`startWhenFree`).
  const options = { ...window, ...(end === undefined ? {} : { end }), views: views ?? undefined };
  const { job, done } = await (runAsync ? ctx.jobs.start(options, 'api', ctx.auth.runTrigger(c)) : ctx.jobs.startWhenFree(options, 'api', ctx.auth.runTrigger(c), c.req.raw.signal));
  noteRuns(c, job.runs.map((r) => ({ view: r.view, run_id: r.run_id })));
  if (runAsync) {
    return c.json({ status: 'accepted', feature_views: job.runs.map((r) => r.view), job_id: job.id, poll: `/v1/materialize/${job.id}`, ...clamped }, 202, {
      location: `/v1/materialize/${job.id}`,
    });
  }
  const finished = await done;
  const failure = jobFailure(finished);
  if (failure) throw failure;
  return c.json({ ...finished, ...clamped });
}

/** A window's start as an instant, or null for one that is none (left for the window to refuse). */
function instantOrNull(start: string | Date): Date | null {
  if (start instanceof Date) return start;
  try {
    return parseInstant(start, 'start_ts');
  } catch {
    return null;
  }
}

/**
 * A window that is empty only because its end was capped at now (`start_ts` in the future too: a client east of UTC
 * calling `materialize(now - 1h, now)` in naive local time): nothing to materialize, answered as an incremental run
 * with an empty window is — each view `up_to_date`, no run recorded — rather than a 400 naming an end the client
 * never sent. The views are checked as a materialization checks them.
 */
function nothingBeforeNow(ctx: ServerContext, c: Context, views: readonly string[] | null | undefined, start: Date, clamped: NonNullable<EndTaken['clamped']>, runAsync: boolean): Response {
  const named = materializableViews(ctx.project.registry.current(), views ?? undefined).map((v) => v.name);
  const message = `nothing to materialize: start_ts ${start.toISOString()} is not before the end ${clamped.end} (end_ts ${clamped.end_requested} capped at the server's now)`;
  const job = ctx.jobs.upToDate('api', named.map((view) => ({
    view, run_id: null, status: 'up_to_date', window: { start: clamped.end, end: clamped.end }, rows_read: 0, entities_written: 0, message,
  })));
  if (runAsync) {
    return c.json({ status: 'accepted', feature_views: named, job_id: job.id, poll: `/v1/materialize/${job.id}`, ...clamped }, 202, { location: `/v1/materialize/${job.id}` });
  }
  return c.json({ ...job, ...clamped });
}

/**
 * A query flag as FastAPI reads a boolean (true, 1, yes, on, t, y; false, 0, no, off, f, n); anything else is a
 * 400 `bad_request`, where FastAPI answers 422, rather than a silent false.
 */
function flag(name: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  const read = laxBoolean(value);
  if (typeof read !== 'boolean') {
    throw new InputError(`query parameter '${name}' must be a boolean (true, false, 1, 0, yes, no, on, off)`, { [name]: value });
  }
  return read;
}

/** A finished job a Feast client must not take for success: failed or blocked views. */
function jobFailure(job: MaterializeJob): FeatureguardError | null {
  const failed = job.runs.filter((r) => r.status === 'failed');
  if (job.status === 'failed' || failed.length > 0) {
    const why = job.error ?? failed.map((r) => `${r.view}: ${r.message ?? 'failed'}`).join('; ');
    return new FeatureguardError('materialize_failed', `materialization failed: ${why}`, { status: 500, exitCode: 3, details: { job } });
  }
  const blocked = job.runs.filter((r) => r.status === 'blocked');
  if (blocked.length === 0) return null;
  const why = blocked.map((r) => `${r.view}: ${r.message ?? 'a blocking check failed'}`).join('; ');
  return new FeatureguardError('materialize_blocked', `materialization blocked by the guards (nothing written for these views): ${why}`, {
    status: 422, exitCode: 1, details: { job },
  });
}

/**
 * Feast's document retrieval (`POST /search`, and `/retrieve-online-documents` it falls back to on a 404):
 * featureguard has no vector search. A 404 that says so, so that Feast's client, which tries one then the
 * other, ends with this reason rather than "no route".
 */
export function feastDocumentRoutes(): Hono {
  const app = new Hono();
  for (const path of ['/search', '/retrieve-online-documents']) {
    app.post(path, () => {
      throw new FeatureguardError('not_supported', `featureguard serves no vector search: POST ${path} (Feast's document retrieval) is not available; read features with /get-online-features`, {
        status: 404, exitCode: 2, details: { path },
      });
    });
  }
  return app;
}

/**
 * Feast's versioned references in a read's `features` (`_parse_feature_ref`): `view@latest:feature` (and `view@:feature`)
 * is `view:feature`, and so is `view@vN:feature` when N is the view's current version (`currentVersion`; a view it
 * does not know is left for the read to refuse). Another version is a 400 `versioned_read_not_supported`: only the
 * current definition is served. Anything else is left as it is, for the schema to refuse.
 */
export function feastFeatureRefs(features: unknown, currentVersion: (view: string) => number | undefined): unknown {
  if (!Array.isArray(features) || !features.some((f) => typeof f === 'string' && f.includes('@'))) return features;
  return features.map((f: unknown) => (typeof f === 'string' ? unversionedRef(f, currentVersion) : f));
}

function unversionedRef(ref: string, currentVersion: (view: string) => number | undefined): string {
  const colon = ref.indexOf(':');
  const at = ref.indexOf('@');
  if (colon < 0 || at < 0 || at > colon) return ref;
  const [view, version, feature] = [ref.slice(0, at), ref.slice(at + 1, colon), ref.slice(colon + 1)];
  if (version === '' || version.toLowerCase() === 'latest') return `${view}:${feature}`;
  const asked = /^[vV](\d+)$/.exec(version);
  if (asked === null) return ref;
  const current = currentVersion(view);
  if (current === undefined || current === Number(asked[1])) return `${view}:${feature}`;
  throw new InputError(
    `feature reference '${ref}' asks for version v${Number(asked[1])} of feature view '${view}': featureguard serves only the current version (v${current}); ask for '${view}:${feature}'`,
    { reference: ref, view, version: Number(asked[1]), current_version: current },
    'versioned_read_not_supported',
  );
}

/**
 * A read's `entities` with an entity's name read as its join key, as Feast still reads one (deprecated,
 * `_prepare_entities_to_read_from_online_store`): a column named after an entity with exactly one join key, which
 * is no join key itself, and whose join key is not given too. Null when no column is such a name.
 */
export function entityNamesAsJoinKeys<T>(entities: Record<string, T>, set: DefinitionSet): { entities: Record<string, T>; renamed: Map<string, string> } | null {
  const joinKeys = new Set([...set.entities.values()].flatMap((e) => e.join_keys.map((k) => k.name)));
  // Join key -> the entity name sent for it, for errors to name the column as sent.
  const renamed = new Map<string, string>();
  const out = Object.fromEntries(Object.entries(entities).map(([name, values]) => {
    const keys = joinKeys.has(name) ? undefined : set.entities.get(name)?.join_keys;
    if (keys?.length !== 1 || keys[0].name in entities) return [name, values];
    renamed.set(keys[0].name, name);
    return [keys[0].name, values];
  }));
  return renamed.size > 0 ? { entities: out, renamed } : null;
}

/**
 * An error of a read after Feast's rewrites, saying what the client sent: each rewritten reference quoted as sent
 * (`refs`: as read -> as sent), and a join key read from an entity's name as `entity 'airport' (read as join key
 * 'origin')` (`keys`: join key -> the name sent). The error itself, its message changed.
 */
export function asSent(e: unknown, refs: ReadonlyMap<string, string>, keys: ReadonlyMap<string, string>): unknown {
  if (!(e instanceof FeatureguardError)) return e;
  let message = e.message;
  for (const [read, sent] of refs) message = message.replaceAll(`'${read}'`, `'${sent}'`);
  for (const [key, name] of keys) {
    message = message.replaceAll(`entity '${key}'`, `entity '${name}' (read as join key '${key}')`).replaceAll(`entities.${key} `, `entities.${name} (read as join key '${key}') `);
  }
  e.message = message;
  return e;
}
