/**
 * `push`: write rows a caller sends (a stream processor, a backfill script) into
 * a feature view's online store (views with `online: true` only) and/or offline
 * source, after the same guard stage materialization runs. Each push is a run of kind `push` in the quality
 * log; a blocked push writes nothing.
 *
 * @example
 * const result = await push(project, {
 *   view: 'origin_delays',
 *   rows: [{ origin: 'SEA', event_timestamp: '2026-01-01T10:00:00Z', dep_delay_mean: 7.5 }],
 *   to: 'online',
 * });
 * if (result.status === 'blocked') console.log(result.blocked_reason);
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { NOT_JUDGED, alertFinishedRun } from '../alerts/dispatch.js';
import { getView, onlineDefinition, viewJoinKeys } from '../definitions/definition-set.js';
import { sourceColumnName } from '../definitions/source-location.js';
import type { DefinitionSet, FeatureViewDef, SourceDef } from '../definitions/types.js';
import { FeatureguardError, InputError, isCallerError } from '../errors.js';
import { rowNumber } from '../row-number.js';
import { runGuardStage, type GuardStageResult } from '../guards/stage.js';
import { floatFeatures, onlineInt64 } from '../online/record-codec.js';
import type { OnlineRow } from '../online/types.js';
import type { Project } from '../project.js';
import { droppedSince, dropIfPending, dropPendingError, dropUnlessMaterializing, isDropPending, requestDropsWhenFree, viewChangedError } from '../registry/online-drops.js';
import { beginOnlineWrite, type OnlineWrite } from '../registry/online-writes.js';
import type { RunStatus } from '../runs/types.js';
import { onInterrupt } from '../state/interrupt.js';
import { hasRepeatedKeys, latestPushedRows } from './push-latest.js';
import { invalidDates, pushProblems, rowProblems } from './push-problems.js';
import { idempotencyKeyOf, pushRequestDigest, recordPushAnswer, replayedPush } from './push-idempotency.js';
import { lineageOf } from './push-lineage.js';
import { inViewQueue } from './push-queue.js';
import { recordRefusedPush, refuseMissingColumnsRecorded, sendAlerts, type PushOptions } from './push-refusal.js';
import { pushFileColumns, pushRenames, pushRowValidator } from './push-schema.js';
import { queryReadsFile, sourceReadsFile } from './push-readers.js';
import { existingColumns, holdsMilliseconds, loadPushTable, microsToRfc3339, offlineTarget, rfc3339ToMicros, rfc3339ToMicrosBig, writeOfflineFile, type PushColumn } from './push-rows.js';
import type { PushRequest, PushResult, PushTarget } from './push-types.js';

export type { PushOptions } from './push-refusal.js';

/** A request's `to` as featureguard names it: `online` when left out, Feast's `online_and_offline` as `both`. */
export function pushTarget(to: PushRequest['to']): PushTarget {
  return to === 'online_and_offline' ? 'both' : (to ?? 'online');
}

/** A date and time without an offset (`2026-12-01 09:00:00`, as pandas prints one): UTC, as DESIGN.md §3 reads naive timestamps. */
const NAIVE_TIME = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d(?::\d\d(?:\.\d{1,9})?)?)$/;

/**
 * What else `pd.to_datetime` reads in Feast's bodies (Feast converts a pushed frame's times with it): a date alone
 * (pandas' `astype(str)` of all-midnight datetimes, `json.dumps(default=str)` of a `date`) as midnight UTC, and a
 * date or a date and time followed by ` UTC`.
 */
const FEAST_DATE = /^\d{4}-\d\d-\d\d$/;
const FEAST_UTC = / ?UTC$/;

function utcIfNaive(v: unknown, feast: boolean): unknown {
  if (typeof v !== 'string') return v;
  // `2026-11-12 UTC` too: pd.to_datetime reads a date with ` UTC` as midnight UTC.
  const local = feast ? v.replace(FEAST_UTC, '') : v;
  if (feast && FEAST_DATE.test(local)) return `${local}T00:00:00Z`;
  const m = NAIVE_TIME.exec(local);
  return m ? `${m[1]}T${m[2].length === 5 ? `${m[2]}:00` : m[2]}Z` : v;
}

/** Validate rows against the view, as `set` defines it; problems name the row index and column. `ignored` collects columns left out. */
function validateRows(set: DefinitionSet, view: FeatureViewDef, rows: readonly Record<string, unknown>[], ignored: Set<string> | null): Record<string, unknown>[] {
  const keys = viewJoinKeys(set, view);
  const validate = pushRowValidator(view, keys);
  const renames = pushRenames(set.sources.get(view.source));
  const timestamps = new Set(['event_timestamp', 'created_timestamp', ...view.features.filter((f) => f.type === 'timestamp').map((f) => f.name)]);
  // NaN in a column that is no float is a missing value (pandas writes NaN for missing ints and strings too).
  const floats = new Set(view.features.filter((f) => f.type.startsWith('float')).map((f) => f.name));
  // Feast's remote online store sends a timestamp feature's value as epoch seconds (its UnixTimestamp type).
  const timestampFeatures = new Set(view.features.filter((f) => f.type === 'timestamp').map((f) => f.name));
  const known = new Set([...keys.map((k) => k.name), ...timestamps, ...view.features.map((f) => f.name)]);
  // Feast's bodies (`ignored` set): its remote online store names the created timestamp `created`.
  const feast = ignored !== null;
  const types = new Map<string, string>([...keys, ...view.features].map((c) => [c.name, c.type]));
  // An SDK row's invalid `Date` is refused as such (and recorded, `validatedOrRecorded`), before its other values are checked.
  const dates = invalidDates(rows).refusal(view.name, rows.length);
  if (dates !== null) throw dates;
  // The first problems, listed; every row and value counted (each row is validated anyway, so counting costs
  // only the folding of a bad row's errors into its problems).
  const problems = pushProblems();
  const out = rows.map((raw, i) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      problems.found(i, `/${i}`, 'must be an object');
      return {};
    }
    const row: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) {
      const to = renames.get(k) ?? (feast && k === 'created' && !known.has(k) ? 'created_timestamp' : undefined);
      const name = to !== undefined && !(to in raw) ? to : k;
      if (ignored !== null && !known.has(name)) ignored.add(k);
      else {
        const value = typeof v === 'number' && Number.isNaN(v) && !floats.has(name) ? null
          : feast && typeof v === 'number' && timestampFeatures.has(name) ? epochSecondsText(v)
            : timestamps.has(name) ? utcIfNaive(v, feast) : v;
        // An own property even for `__proto__` (an assignment would set the row's prototype, and its fields
        // would pass as the row's own): the schema then refuses it as any unknown property.
        if (name === '__proto__') Object.defineProperty(row, name, { value, enumerable: true, writable: true, configurable: true });
        else row[name] = value;
      }
    }
    if (!validate(row)) {
      const rowFound = rowProblems(validate.errors, row, types);
      for (const p of rowFound) problems.found(i, `/${i}${p.path === '/' ? '' : p.path}`, p.message);
      if (rowFound.length === 0) problems.found(i, `/${i}`, 'does not fit the view');
    }
    return row;
  });
  const refusal = problems.refusal(view.name, rows.length);
  if (refusal !== null) throw refusal;
  return out;
}

/**
 * The rows validated; rows that do not fit the view (a null join key, a wrong
 * type) never reach the guards' typed table, but the refusal is still a `push`
 * run in the quality log: `blocked`, with one `schema` record listing the
 * problems, alerts fired. The error (400 `invalid_rows`) names the run.
 */
async function validatedOrRecorded(project: Project, set: DefinitionSet, view: FeatureViewDef, raw: readonly Record<string, unknown>[], to: PushTarget, options: PushOptions, ignored: Set<string> | null): Promise<Record<string, unknown>[]> {
  try {
    return validateRows(set, view, raw, ignored);
  } catch (e) {
    return recordInvalidRows(project, set, view, raw, to, options, e);
  }
}

/**
 * Check rows against each of several views as `push` does before any is written (`pushToViews`): rows that
 * leave out a view's feature columns (with `ignoreUnknownColumns`) or do not fit one of them are recorded as that
 * view's blocked push run and thrown (400 `missing_feature_columns` or `invalid_rows`, naming the runs), as `push` would.
 */
export async function checkPushRows(project: Project, views: readonly string[], request: Omit<PushRequest, 'view'>, options: PushOptions = {}): Promise<void> {
  const to = pushTarget(request.to);
  const set = project.registry.current();
  if (request.ignoreUnknownColumns) await refuseMissingColumnsRecorded(project, set, views.map((name) => getView(set, name)), request.rows, to, options);
  for (const name of views) {
    const view = getView(set, name);
    await validatedOrRecorded(project, set, view, request.rows as readonly Record<string, unknown>[], to, options, request.ignoreUnknownColumns ? new Set() : null);
  }
}

/** A refusal of rows that do not fit `view` (the `invalid_rows` error `e`) recorded as a blocked push run, then thrown with the run id. */
async function recordInvalidRows(project: Project, set: DefinitionSet, view: FeatureViewDef, raw: readonly Record<string, unknown>[], to: PushTarget, options: PushOptions, e: unknown): Promise<never> {
  if (!(e instanceof InputError) || e.code !== 'invalid_rows') throw e;
  const given = e.details as { problems?: unknown[]; invalid_rows?: number; problem_count?: number } | undefined;
  const problems = given?.problems ?? [];
  // The value is the rows refused; the metrics count every problem, also past the ones listed.
  const invalidRows = given?.invalid_rows ?? problems.length;
  const runId = await recordRefusedPush(project, set, view, raw.length, to, options, {
    message: e.message, invalidRows, problems: given?.problem_count ?? problems.length, details: { problems },
  });
  throw new InputError(e.message, { ...(e.details as Record<string, unknown>), run_id: runId }, 'invalid_rows');
}

/**
 * An offline push appends rows to the view's source: every other view reading that source reads them too, and
 * a column it needs that the rows lack is null there, which would hide its real value at those times (in
 * datasets and, once materialized, online: the newest row wins). So does a view of another source whose path
 * takes the appended file (a second source over the same folder), or whose query reads it — or may read it, when
 * the files a query reads cannot be told (`queryReadsFile`). A `database` source reads tables only, never a pushed
 * file. Refused (400 `offline_push_shared_source`) unless the other views read only columns this view's rows carry,
 * their sources' time columns included (a query source's columns compared by the names the query gives them).
 */
async function refuseSharedSourceGaps(project: Project, set: DefinitionSet, view: FeatureViewDef, to: PushTarget): Promise<void> {
  const source = set.sources.get(view.source);
  // The file a push appends, named as any push's (only the time and run id differ); none when the source takes no
  // pushed file, which the push refuses later, saying why.
  let file: string | null = null;
  try {
    const target = source ? offlineTarget(project.sourceRoots, source, '00000000-0000-0000-0000-000000000000') : null;
    if (target) file = join(target.dir, target.file);
  } catch {
    file = null;
  }
  // What a view reads of its source's rows: its join keys, features, and the source's time columns (a source over the
  // same files may take its event time from another column, which the appended file would hold as NULL).
  const readColumns = (v: FeatureViewDef) => {
    const s = set.sources.get(v.source);
    const times = s ? [s.timestamp_field, ...(s.created_timestamp_field !== undefined ? [s.created_timestamp_field] : [])] : [];
    return [...viewJoinKeys(set, v).map((k) => k.name), ...times, ...v.features.map((f) => f.name)];
  };
  // Compared as the files name the columns: each source reads its own through its `field_mapping`.
  const fileColumn = (s: SourceDef | undefined, c: string) => (s ? sourceColumnName(s, c) : c).toLowerCase();
  const carried = new Set(readColumns(view).map((c) => fileColumn(source, c)));
  const others = [...set.views.values()].filter((v) => v.name !== view.name);
  const reads = file === null ? new Map<string, boolean | undefined>() : await sourcesReading(project, set, others.map((v) => v.source).filter((s) => s !== view.source), file);
  const gaps = others
    .filter((v) => v.source === view.source || (reads.has(v.source) && reads.get(v.source) !== false))
    .map((v) => ({ view: v.name, source: v.source, columns: readColumns(v).filter((c) => !carried.has(fileColumn(set.sources.get(v.source), c))) }))
    .filter((g) => g.columns.length > 0)
    .sort((a, b) => a.view.localeCompare(b.view));
  if (gaps.length === 0) return;
  const through = (s: string) => (s === view.source ? ''
    : set.sources.get(s)?.query === undefined ? `; through source '${s}', over the same files`
      : reads.get(s) ? `; through source '${s}', whose query reads the same files`
        : `; through source '${s}', whose query may read them (the files it reads cannot be told from its SQL)`);
  const named = (g: (typeof gaps)[number]) => `'${g.view}' (${g.columns.join(', ')}${through(g.source)})`;
  throw new InputError(
    `cannot push to: ${to} for feature view '${view.name}': its source '${view.source}' is also read by ${gaps.map(named).join(', ')}, and a file of these rows alone would give ${gaps.length === 1 ? 'that view' : 'those views'} nulls at their times, hiding the real values; push with to: online, or append rows with every view's columns to the source's files yourself`,
    { view: view.name, source: view.source, other_views: gaps },
    'offline_push_shared_source',
  );
}

/**
 * Of the sources `names`, whether each reads the pushed `file`: a `path` source whose path takes it, a query source
 * whose query names it (`undefined`: cannot be told); `false` for a `database` source (tables only).
 */
async function sourcesReading(project: Project, set: DefinitionSet, names: readonly string[], file: string): Promise<Map<string, boolean | undefined>> {
  const out = new Map<string, boolean | undefined>();
  let conn: DuckDBConnection | undefined;
  try {
    for (const name of new Set(names)) {
      const s = set.sources.get(name);
      if (s?.query === undefined) out.set(name, sourceReadsFile(project.sourceRoots, s, file));
      else out.set(name, await queryReadsFile((conn ??= await (await project.engine()).connect()), project.sourceRoots, s.query, file));
    }
  } finally {
    conn?.closeSync();
  }
  return out;
}

/**
 * Epoch seconds (Feast's UnixTimestamp value, as its remote online store sends one) as RFC 3339 UTC text to the
 * microsecond; a number no date holds is left as it is, for the schema to refuse.
 */
function epochSecondsText(seconds: number): unknown {
  const us = Math.round(seconds * 1e6);
  if (!Number.isSafeInteger(us)) return seconds;
  const ms = Math.floor(us / 1000);
  return `${new Date(ms).toISOString().slice(0, -1)}${String(us - ms * 1000).padStart(3, '0')}Z`;
}

/**
 * The created times of rows that also go to the offline source, as its files will hold them: what a training set and
 * a materialization compare rows by, so the online write compares the same.
 * - A source without `created_timestamp_field` holds none. A row that sends one is refused (400
 *   `created_timestamp_not_stored`): online it would outrank the offline copy, which has no created time. In
 *   Feast's bodies (`ignored`, where unknown columns are left out) it is left out too, and listed there.
 * - A source with one: see `stampCreatedTimes`, once the files' column type is known.
 */
function offlineCreatedTimes(view: FeatureViewDef, source: SourceDef | undefined, rows: Record<string, unknown>[], raw: readonly unknown[], ignored: Set<string> | null): Record<string, unknown>[] {
  if (source?.created_timestamp_field !== undefined) return rows;
  const sent = rows.findIndex((r) => r.created_timestamp != null);
  if (sent < 0) return rows;
  // The name the caller used (Feast's bodies call it `created`).
  const name = raw.some((r) => r !== null && typeof r === 'object' && 'created_timestamp' in r) ? 'created_timestamp' : 'created';
  if (ignored === null) {
    throw new InputError(
      `${rowNumber(sent)} has a created_timestamp, but the source '${view.source}' of feature view '${view.name}' has no created_timestamp_field, so the offline copy of the rows cannot hold it (and online it would outrank rows of the same event time that training sets hold); leave it out, or add a created_timestamp_field to the source`,
      { view: view.name, source: view.source, row: sent },
      'created_timestamp_not_stored',
    );
  }
  ignored.add(name);
  return rows.map((r) => (r.created_timestamp == null ? r : { ...r, created_timestamp: null }));
}

/**
 * Rows without a created time, going to a source with a `created_timestamp_field`, stamped with the push's time
 * (`now`), so that a late row (stream lag into a day already materialized) is a late arrival, not an edit
 * (`provenance.tampering`), and a later push at the same event time replaces an earlier one, online and in training
 * sets alike. A row whose event time is later (a clock ahead of ours, within `max_clock_skew`) gets its event time,
 * to the millisecond up: a stamp of our own must not be reported as created before the event
 * (`provenance.created_before_event`). Only where the files' column (`fileType`, see `holdsMilliseconds`) holds that
 * time exactly: a DATE would turn it into a value the caller never sent, which the append refuses as lossy; those
 * rows keep no created time, in the file and online.
 */
function stampCreatedTimes(rows: Record<string, unknown>[], fileType: string | undefined, now: Date): Record<string, unknown>[] {
  if (!holdsMilliseconds(fileType)) return rows;
  return rows.map((r) => {
    if (r.created_timestamp != null) return r;
    const us = rfc3339ToMicrosBig(String(r.event_timestamp));
    const eventMs = Number(us / 1000n + (us % 1000n > 0n ? 1n : 0n));
    return { ...r, created_timestamp: new Date(Math.min(Math.max(now.getTime(), eventMs), LAST_MS)).toISOString() };
  });
}

/**
 * Rows of an online-only push to a source with a `created_timestamp_field`, stamped with the push's time as an
 * offline push's are (`stampCreatedTimes`): a row the source's files hold for the same event time, created before
 * the push, is older, so a later materialization of it leaves the pushed value online (without a created time the
 * pushed row lost to any row of its event time). A created time the caller sent is kept.
 */
function onlineCreatedTimes(source: SourceDef | undefined, rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return source?.created_timestamp_field === undefined ? rows : stampCreatedTimes(rows, undefined, new Date());
}

/** The last millisecond of year 9999, the latest time the schema takes (`storableInstant`). */
const LAST_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** Push rows into a view (see the module comment). Bad rows are an `InputError` listing the problems. */
export async function push(project: Project, request: PushRequest, options: PushOptions = {}): Promise<PushResult> {
  // After the pushes of this view that came first (push-queue.ts); an idempotency key's retry so finds their answer.
  return inViewQueue(project, String(request.view), () => pushKeyed(project, request, options));
}

/** `push` in its view's turn: a retry of an idempotency key's push answered from the earlier answer. */
async function pushKeyed(project: Project, request: PushRequest, options: PushOptions): Promise<PushResult> {
  const key = idempotencyKeyOf(request);
  if (key === undefined) return pushOnce(project, request, options);
  // A retry of a push that answered (see push-idempotency.ts): its answer again, nothing written.
  const digest = pushRequestDigest(request, pushTarget(request.to));
  const earlier = replayedPush(project.state, request.view, key, digest);
  if (earlier !== null) return earlier;
  const result = await pushOnce(project, request, options);
  await recordPushAnswer(project.state, request.view, key, digest, result);
  return result;
}

/** One push of `request` (`push` without its idempotency key's replay). */
async function pushOnce(project: Project, request: PushRequest, options: PushOptions): Promise<PushResult> {
  const to = pushTarget(request.to);
  if (!['online', 'offline', 'both'].includes(to)) throw new InputError(`'to' must be online, offline or both`, { to: request.to });
  const set = project.registry.current();
  const view = getView(set, request.view);
  if (to !== 'offline' && view.online !== true) {
    throw new InputError(
      `feature view '${view.name}' is not an online view, so pushed rows cannot be written to the online store; set online: true in its definition and apply it, or push with to: offline`,
      { view: view.name, to },
      'view_not_online',
    );
  }
  if (to !== 'online') await refuseSharedSourceGaps(project, set, view, to);
  if (!Array.isArray(request.rows)) throw new InputError('push rows must be a list of row objects', undefined, 'invalid_rows');
  if (request.rows.length === 0) throw new InputError('push has no rows', undefined, 'invalid_rows');
  const ignored = request.ignoreUnknownColumns ? new Set<string>() : null;
  if (ignored !== null) await refuseMissingColumnsRecorded(project, set, [view], request.rows, to, options);
  const source = set.sources.get(view.source);
  const floats = floatColumns(view, pushRenames(source));
  const validated = await validatedOrRecorded(project, set, view, request.rows.map((row) => jsonForm(row, floats)), to, options, ignored);
  let rows = to === 'online' ? onlineCreatedTimes(source, validated) : offlineCreatedTimes(view, source, validated, request.rows, ignored);
  const ignoredColumns = ignored !== null && ignored.size > 0 ? { ignored_columns: [...ignored].sort() } : {};
  const keys = viewJoinKeys(set, view);

  const offlineSource = source ?? { kind: 'source' as const, name: view.source, timestamp_field: 'event_timestamp' };
  // Refuse an impossible offline push before anything is recorded.
  if (to !== 'online') offlineTarget(project.sourceRoots, offlineSource, 'check');
  const keyed = request.idempotencyKey === undefined ? {} : { idempotency_key: request.idempotencyKey };
  const run = await project.runs.createWhenFree({ kind: 'push', view: view.name, options: { to, rows: rows.length, ...keyed }, trigger: options.trigger });
  options.onRun?.({ view: view.name, run_id: run.id });
  const table = `push_${randomBytes(6).toString('hex')}`;
  let guarded: GuardStageResult | null = null;
  let writing: OnlineWrite | undefined;
  let file: string | null = null;
  // Unregisters the interrupt cleanup that removes `file` (see below).
  let keepFile: (() => void) | undefined;
  // Float64 features whose offline copy the source's files hold as FLOAT.
  let offlineFloat32: ReadonlySet<string> = new Set();
  let opened: DuckDBConnection | undefined;
  let failure: unknown = null;
  try {
    const target = to === 'online' ? null : offlineTarget(project.sourceRoots, offlineSource, run.id);
    const conn = (opened = await (await project.engine()).connect());
    const existing = target ? await existingColumns(conn, target) : [];
    if (target && offlineSource.created_timestamp_field !== undefined) {
      const created = pushFileColumns(offlineSource, ['created_timestamp']).get('created_timestamp')?.toLowerCase();
      rows = stampCreatedTimes(rows, existing.find((c) => c.name.toLowerCase() === created)?.type, new Date());
    }
    const columns: PushColumn[] = [
      ...keys.map((k) => ({ name: k.name, type: k.type })),
      { name: 'event_timestamp', type: 'timestamp' as const },
      { name: 'created_timestamp', type: 'timestamp' as const },
      ...view.features.map((f) => ({ name: f.name, type: f.type })),
    ];
    await loadPushTable(conn, table, columns, rows);
    const guard = await runGuardStage({ project, run, kind: 'push', view, conn, table, definitions: set, alerts: false });
    guarded = guard;
    if (guard.verdict === 'block') {
      await project.runs.updateWhenFree(run.id, {
        status: 'blocked', finished_at: new Date().toISOString(), rows_in: rows.length, rows_out: 0,
        message: guard.blockedReason, counts: guard.counts, lineage: lineageOf(project, set, view, rows.length, to, 0),
      });
      return { run_id: run.id, view: view.name, status: 'blocked', to, rows: rows.length, written: 0, skipped: 0, superseded: 0, file: null, blocked_reason: guard.blockedReason, counts: guard.counts, ...ignoredColumns };
    }

    // Registered before the definitions are checked again: an apply from now on defers its drop of the view to this push.
    if (to !== 'offline') writing = await beginOnlineWrite(project.state, view.name);
    // A drop deferred to another writer (or left by a failed one) is pending: rows written now would go with it.
    if (to !== 'offline' && isDropPending(project.state, view.name) && !droppedSince(project, set, view.name)) {
      throw dropPendingError(view.name, '(reads answer NOT_FOUND until then)', 'push');
    }
    if (target) {
      ({ file, float32: offlineFloat32 } = await writeOfflineFile(conn, table, target, pushFileColumns(offlineSource, columns.map((c) => c.name)), existing));
      // From the rename until the run is final, an interrupted CLI (Ctrl-C while waiting for the online store's
      // lock, a kill) takes the file back too: its run is marked failed, and a retry must not find the rows twice.
      const pushed = file;
      keepFile = onInterrupt(() => {
        const removeError = removeFile(pushed);
        return removeError === null ? `removed ${pushed}, the file the push had written to the offline source` : `could not remove ${pushed}, the file the push had written to the offline source (${removeError}); delete it before pushing these rows again`;
      });
    }
    const store = to === 'offline' ? null : await project.onlineStore();
    // An apply that removed the view or changed it in a breaking way since the rows were validated:
    // write nothing (a file already appended is removed below), the rows follow the old definition.
    // (The apply may have deferred its drop to this push: it is done when the push ends, below.)
    if (droppedSince(project, set, view.name)) throw viewChanged(view.name, 'nothing was written');
    let written = 0;
    let skipped = 0;
    // Rows beaten by a newer row of the same entity in this push (never offered to the store).
    let superseded = 0;
    if (store) {
      const features = view.features.map((f) => f.name);
      const online: OnlineRow[] = rows.map((r) => ({
        key: keys.map((k) => (k.type === 'string' ? String(r[k.name]) : k.type === 'int64' ? int64Online(r[k.name]) : Number(r[k.name]))),
        // A float64 the source's files hold as FLOAT is served as they hold it: what a training set reads, and what
        // a materialization of these rows would serve.
        values: view.features.map((f) => onlineValue(r[f.name], offlineFloat32.has(f.name) ? (f.type === 'float64' ? 'float32' : 'float32[]') : f.type)),
        eventTs: rfc3339ToMicros(String(r.event_timestamp)),
        createdTs: r.created_timestamp == null ? 0 : rfc3339ToMicros(String(r.created_timestamp)),
      }));
      // Rows of one entity: the one a training set built now holds goes online (the store would keep the first of
      // equal timestamps), the others count as superseded.
      const latest = hasRepeatedKeys(online.map((r) => r.key)) ? await latestPushedRows(conn, table, keys, view.features) : null;
      const kept = latest ? online.filter((_, i) => latest.has(i)) : online;
      ({ written, skipped } = await store.writeBatch(view.name, features, kept, { floats: floatFeatures(view.features), definition: onlineDefinition(set, view) }));
      superseded = online.length - kept.length;
      // Last check, still registered (so no other process can clear a drop deferred to this push in
      // between): a drop requested since the push began takes these rows with it, also when the view
      // was removed and added again unchanged. An apply after this check is after the push.
      const dropped = droppedSince(project, set, view.name) || isDropPending(project.state, view.name);
      if (dropped) await requestDropsWhenFree(project.state, [view.name]);
      // No longer deferring drops to itself: the drop below is done, not deferred.
      await writing?.end();
      if (dropped) {
        const outcome = await dropUnlessMaterializing(project, view.name);
        throw viewChanged(view.name, outcome === 'dropped'
          ? "the view's online values, these rows among them, were dropped"
          : outcome === 'deferred'
            ? "the view's running materialization, or another push writing it, drops its online values, these rows among them (reads answer NOT_FOUND until then)"
            : "its online values, these rows among them, are to be dropped (reads answer NOT_FOUND until a running serve or the next apply or materialization drops them)");
      }
    }
    const status: RunStatus = guard.verdict === 'warn' ? 'warned' : 'success';
    // Where the rows went: `rows_out` counts the rows the online store took (the others are older than what it
    // holds), or the rows of the file for `to: offline`; the file of `to: both` is named beside the online output.
    await project.runs.updateWhenFree(run.id, {
      status, finished_at: new Date().toISOString(), rows_in: rows.length, rows_out: store ? written : rows.length,
      counts: guard.counts, lineage: lineageOf(project, set, view, rows.length, to, file ? rows.length : 0),
      options: { to, rows: rows.length, written, skipped, superseded, file, ...keyed },
    });
    keepFile?.();
    return { run_id: run.id, view: view.name, status, to, rows: rows.length, written, skipped, superseded, file, blocked_reason: null, counts: guard.counts, ...ignoredColumns };
  } catch (e) {
    // A failed push takes its file back: a caller that retries it must not find its rows twice offline.
    keepFile?.();
    const error = file ? withFileNote(e, removeFile(file)) : e;
    // Named as a push that wrote names its datasets (its file, if any, was taken back).
    await project.runs.updateWhenFree(run.id, { status: 'failed', finished_at: new Date().toISOString(), message: (error as Error).message.split('\n')[0], lineage: lineageOf(project, set, view, rows.length, to, 0) });
    failure = error;
    throw error;
  } finally {
    if (writing) {
      await writing.end();
      // A drop deferred to this push (or kept pending while it wrote) is done now, not deferring to itself.
      await dropIfPending(project, view.name);
    }
    if (opened) {
      await opened.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      opened.closeSync();
    }
    // Alerts go out with the run's final status (a failed write after passing guards says `failed`). A push that
    // failed before its guards judged it has only that status to match, unless the caller caused it (a 4xx).
    if (guarded || !isCallerError(failure)) await sendAlerts(options, alertFinishedRun(project, run.id, guarded ?? NOT_JUDGED));
  }
}

/** Remove a pushed file again; the reason when that failed. */
function removeFile(file: string): string | null {
  try {
    rmSync(file, { force: true });
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * The error of a push that had written `file`, saying what became of the file. A new
 * error: the caught one may be shared (every caller of a store that failed to open gets the same).
 */
function withFileNote(e: unknown, removeError: string | null): unknown {
  const note = removeError === null
    ? 'the file written to the offline source was removed'
    : `the file written to the offline source could not be removed (${removeError}); delete it before pushing these rows again`;
  if (e instanceof FeatureguardError) {
    return new FeatureguardError(e.code, `${e.message}; ${note}`, { status: e.status, exitCode: e.exitCode, details: e.details, cause: e });
  }
  return new Error(`${e instanceof Error ? e.message : String(e)}; ${note}`, { cause: e });
}

const viewChanged = (view: string, what: string) => viewChangedError(view, 'rows were pushed to it', what);

/** An int64 as stored online (validated already: a safe JSON number or int64 digits). */
function int64Online(v: unknown): number | string {
  return typeof v === 'number' ? v : (onlineInt64(String(v)) ?? Number.NaN);
}

/** The columns of a view's float features (and float lists), also under the source's names they are renamed from. */
function floatColumns(view: FeatureViewDef, renames: ReadonlyMap<string, string>): Set<string> {
  const floats = new Set(view.features.filter((f) => f.type.startsWith('float')).map((f) => f.name));
  for (const [from, to] of renames) if (floats.has(to)) floats.add(from);
  return floats;
}

/**
 * A row from the SDK in the form a JSON body has: a `Date` as its ISO 8601 text, a `bigint` as a number (its
 * digits beyond ±2^53, as int64 ids are sent; in a float column of `floats` the nearest double, as a float takes
 * that number in a body), a typed array (an embedding as `Float32Array`) as a plain array — what the other SDK
 * calls take. Rows without such values are returned as they are.
 */
function jsonForm(row: Record<string, unknown>, floats: ReadonlySet<string>): Record<string, unknown> {
  if (row === null || typeof row !== 'object') return row;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(row)) {
    const big = floats.has(k) ? Number : bigintJson;
    const j = v instanceof Date ? (Number.isNaN(v.getTime()) ? v : v.toISOString())
      : typeof v === 'bigint' ? big(v)
      : ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number | bigint>, (x) => (typeof x === 'bigint' ? big(x) : x))
      : v;
    if (j !== v) (out ??= { ...row })[k] = j;
  }
  return out ?? row;
}

/** A bigint as JSON carries an int64 (`onlineInt64`: a number within ±2^53, its digits beyond); out of range, its digits for the validator to refuse. */
const bigintJson = (v: bigint): number | string => onlineInt64(v) ?? String(v);

/** The value stored online: int64 as materialized ones are (`onlineInt64`), timestamps RFC 3339 UTC with microseconds and `Z`. */
function onlineValue(v: unknown, type: string): unknown {
  if (v === null || v === undefined) return null;
  if (type === 'int64') return int64Online(v);
  // Microseconds kept, in the form materialized timestamps take (a pushed value reads back as it was sent; a `Date`
  // from the SDK arrives as its text, see `jsonForm`).
  if (type === 'timestamp') return microsToRfc3339(rfc3339ToMicrosBig(String(v)));
  // What a float32 holds, as a materialization reads it (0.1 is 0.10000000149011612; 16777217 is 16777216): the
  // model is served the value it trains on, and the offline copy of a `to: both` push holds the same.
  if (type === 'float32') return typeof v === 'number' ? Math.fround(v) : v;
  if (type === 'float32[]' && Array.isArray(v)) return v.map((x) => (typeof x === 'number' ? Math.fround(x) : x));
  return v;
}
