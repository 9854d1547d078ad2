/**
 * The point-in-time join as SQL builders (DESIGN.md §3), and `planViewJoins`,
 * which runs the cheap counts that choose how each view is joined. One ASOF
 * LEFT JOIN per feature view, views joined one after another onto the entity rows.
 *
 * How each rule of §3 is met:
 * - Ties on (keys, event_ts). Per view, one of two inequalities:
 *   - When the view's eligible rows are unique on (keys, event_ts) (checked
 *     before the join by `uniqueEventTimeSql`, see `planViewJoins`), there
 *     are no ties to break: the inequality is the plain `event_ts <= ts`, as in
 *     the hand-written query (measurably cheaper: 8-byte sort keys).
 *   - Otherwise deduplication on (keys, event_ts) happens inside the ASOF join
 *     itself: the inequality is on a sort key `{event_ts, created_ts, tiebreak}`
 *     (a STRUCT, without `created_ts` when the source has none; compared field
 *     by field), and the entity side asks for `{ts, +infinity, UBIGINT max}`.
 *     The ASOF join picks the greatest feature key not above the entity key: the
 *     greatest `event_ts <= ts`, then the greatest `created_ts` (NULL counts as
 *     lowest), then the greatest `tiebreak` = `hash(all feature values of the
 *     view)`. Rows equal on all three have equal feature values, so the choice
 *     cannot change the output. This is measurably cheaper than a separate
 *     window-function deduplication (see test/bench/dataset.bench.ts).
 * - TTL is checked on the chosen row: if the greatest eligible row is older than
 *   `ts - ttl`, every other eligible row is older still, so the answer is null.
 * - `availability: created`: a row is eligible when `max(event_ts, created_ts)
 *   <= ts`. Per key, rows are ordered by that availability time and carry forward
 *   the greatest `{event_ts, created_ts, tiebreak, values}` seen so far (a running
 *   max whose frame includes peers); one ASOF on availability time then finds the
 *   best row among all rows available at `ts`.
 * - Rows that can never be chosen (NULL key or time, outside the entity time
 *   range) are filtered out of the feature side, or, when that would remove
 *   almost nothing, kept with a NULL join key (`keepIneligible`): a NULL key
 *   never equals anything, so the result is the same, and DuckDB then sizes the
 *   join for the rows it really gets (it assumes a filter keeps a fifth of them).
 * - Every entity row has an ordinal (`__fg_row`); ASOF LEFT JOIN yields at most
 *   one match, so each entity row appears once; the result is ordered by ordinal.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { ident } from './engine.js';

/** Column holding each entity row's input position. */
export const ROW_ORDINAL = '__fg_row';
/** The entity timestamp column inside the join (inputs are renamed to it). */
export const ENTITY_TS = 'event_timestamp';

/** One feature view's part of a point-in-time join. */
export interface PitViewSpec {
  /** View name (used for hidden column names and aliases). */
  readonly name: string;
  /**
   * SQL relation with canonical columns: the join keys, `event_timestamp`,
   * `created_timestamp` (may be NULL), and the view's features by name.
   */
  readonly relationSql: string;
  readonly joinKeys: readonly string[];
  /** Selected features and the output column each becomes. */
  readonly features: readonly { readonly feature: string; readonly column: string }[];
  /** Every feature of the view: the tie-break hash covers all of them so it does not depend on the selection. */
  readonly allFeatures: readonly string[];
  /** Time to live in microseconds; 0 = unlimited. */
  readonly ttlMicros: number | bigint;
  /**
   * False when the source has no created timestamp (the column is all NULL): the
   * sort key then drops that field, which makes the join's sort measurably cheaper.
   */
  readonly hasCreated?: boolean;
  /**
   * True when the view's eligible rows are known to be unique on (join keys,
   * event_timestamp) (see `planViewJoins`): the join then uses the plain
   * event-time inequality, without the tie-break sort key. Ignored for
   * `availability: created`.
   */
  readonly uniqueEventTime?: boolean;
  /**
   * Keep the rows that cannot be chosen in the join's feature side, with a NULL
   * first join key (so they never match), instead of filtering them out. The
   * result is the same. DuckDB sizes an ASOF join by the estimated row count of
   * its inputs and estimates a filtered input at a fifth of its rows: when the
   * feature side is the larger one and the filter removes (almost) nothing, the
   * join is then sized 5× too small, measurably slower (see `planViewJoins`).
   * Ignored for `availability: created`.
   */
  readonly keepIneligible?: boolean;
}

export interface PitJoinSpec {
  /** Relation with `__fg_row`, the join key columns, `event_timestamp` and pass-through columns. */
  readonly entitySql: string;
  /** Entity columns to output, in order (without `__fg_row`). */
  readonly entityColumns: readonly string[];
  readonly views: readonly PitViewSpec[];
  readonly availability: 'event' | 'created';
  /** Also output `__fg_row` and per view the chosen row's event/created timestamps. */
  readonly hiddenColumns?: boolean;
  /**
   * Smallest and greatest entity timestamp (DuckDB TIMESTAMP text). When given, feature
   * rows that cannot be chosen are skipped early: `event_ts > max`, and with a ttl,
   * `event_ts < min - ttl` (a pruning filter that Parquet scans push down).
   */
  readonly entityTimeRange?: { readonly min: string; readonly max: string };
}

/** Names of the hidden per-view columns with the chosen row's timestamps. */
export function hiddenTimestampColumns(viewIndex: number, view: string): { event: string; created: string } {
  return { event: `__fg_v${viewIndex}_${view}__event_ts`, created: `__fg_v${viewIndex}_${view}__created_ts` };
}

const MINUS_INF = "'-infinity'::TIMESTAMP";
const PLUS_INF = "'infinity'::TIMESTAMP";
const UBIGINT_MAX = '18446744073709551615::UBIGINT';

function tieBreak(view: PitViewSpec): string {
  return `hash(${view.allFeatures.map(ident).join(', ')})`;
}

/** Rows of a view that can be chosen at all: timestamp and keys set, within the entity time range. */
function eligible(view: PitViewSpec, range?: PitJoinSpec['entityTimeRange']): string {
  const conds = [ENTITY_TS, ...view.joinKeys].map((c) => `${ident(c)} IS NOT NULL`);
  if (range) {
    conds.push(`${ENTITY_TS} <= TIMESTAMP '${range.max.replaceAll("'", '')}'`);
    const ttl = BigInt(view.ttlMicros);
    if (ttl > 0n) conds.push(`${ENTITY_TS} >= TIMESTAMP '${range.min.replaceAll("'", '')}' - to_microseconds(${ttl.toString()}::BIGINT)`);
  }
  return conds.join(' AND ');
}

/** The tie-break sort key of a feature row (see the module comment). */
function sortKey(view: PitViewSpec): string {
  return view.hasCreated === false
    ? `struct_pack(t := event_timestamp, h := ${tieBreak(view)})`
    : `struct_pack(t := event_timestamp, c := coalesce(created_timestamp, ${MINUS_INF}), h := ${tieBreak(view)})`;
}

/** Feature side of one view for `availability: event`. */
export function eventSideSql(view: PitViewSpec, range?: PitJoinSpec['entityTimeRange']): string {
  const keep = view.keepIneligible === true;
  const cols = view.joinKeys.map((k, i) => (keep && i === 0 ? `CASE WHEN ${eligible(view, range)} THEN ${ident(k)} END AS ${ident(k)}` : ident(k)));
  // The chosen row's event time is the sort key's `t`, or this column (not both: one column less to sort).
  cols.push(view.uniqueEventTime ? 'event_timestamp AS __fg_ev' : `${sortKey(view)} AS __fg_sk`);
  // Without a created timestamp the column is all NULL: not carried through the join.
  if (view.hasCreated !== false) cols.push('created_timestamp AS __fg_cr');
  cols.push(...view.features.map((f) => ident(f.feature)));
  return `SELECT ${cols.join(', ')}
  FROM (${view.relationSql}) AS __fg_src${keep ? '' : ` WHERE ${eligible(view, range)}`}`;
}

/**
 * One row with one BOOLEAN: true when no two eligible rows of the view share
 * (join keys, event_timestamp). Two rows with equal keys and time have equal
 * hashes, so equal counts prove uniqueness; a hash collision can only make it
 * answer false (the tie-break path, which is always correct).
 */
export function uniqueEventTimeSql(view: PitViewSpec, range?: PitJoinSpec['entityTimeRange']): string {
  const cols = [...view.joinKeys, ENTITY_TS].map(ident).join(', ');
  return `SELECT count(*) = count(DISTINCT hash(${cols})) AS __fg_unique FROM (${view.relationSql}) AS __fg_src WHERE ${eligible(view, range)}`;
}

/** One row: the number of rows of the view's relation (`__fg_rows`) and of those that can be chosen (`__fg_eligible`). */
export function viewRowCountsSql(view: PitViewSpec, range?: PitJoinSpec['entityTimeRange']): string {
  return `SELECT count(*) AS __fg_rows, count(*) FILTER (WHERE ${eligible(view, range)}) AS __fg_eligible FROM (${view.relationSql}) AS __fg_src`;
}

export interface ViewJoinOptions {
  readonly availability: 'event' | 'created';
  readonly entityTimeRange?: PitJoinSpec['entityTimeRange'];
  /** Number of entity rows. */
  readonly entityRows: number;
  /**
   * Check a view for ties only when it has at most `entityRows × maxRowsRatio`
   * eligible rows (default 0.5). The check is a hash aggregate over the view's
   * rows; the plain inequality saves work on both sides of the join, so the
   * check pays off when the feature side is small next to the entity side
   * (flights: 0.15 and 0.2) and costs more than it saves when it is large (10
   * feature rows per entity row: about 2.5× the saving). `Infinity` checks every view.
   */
  readonly maxRowsRatio?: number;
  /** Views to consider (default all); the others are joined the general way. */
  readonly probe?: (view: PitViewSpec, index: number) => boolean;
}

/** `keepIneligible` when at least this share of a view's rows can be chosen (measured: 0.75 filtering wins, 0.9 keeping does). */
const KEEP_INELIGIBLE_SHARE = 0.9;

/**
 * Decide per view how to join it: `uniqueEventTime` (no ties on (keys, event
 * time) among the rows that can be chosen: checked for views with at most
 * `entityRows × maxRowsRatio` such rows) and `keepIneligible` (the view has
 * more such rows than there are entity rows, and filtering would remove less
 * than a tenth of its rows). Runs one count per view and, for small views, the
 * uniqueness aggregate, on `conn` (the views' setup must have run there).
 * Nothing to decide for `availability: created` or without entity rows.
 *
 * @example
 * const views = await planViewJoins(conn, pitViews(plan, set), { availability: 'event', entityRows: 3_000_000 });
 */
export async function planViewJoins(conn: DuckDBConnection, views: readonly PitViewSpec[], options: ViewJoinOptions): Promise<PitViewSpec[]> {
  const plain = (v: PitViewSpec): PitViewSpec => ({ ...v, uniqueEventTime: false, keepIneligible: false });
  if (options.availability === 'created' || options.entityRows <= 0) return views.map(plain);
  const ratio = options.maxRowsRatio ?? 0.5;
  const out: PitViewSpec[] = [];
  for (const [i, view] of views.entries()) {
    if (!(options.probe?.(view, i) ?? true)) {
      out.push(plain(view));
      continue;
    }
    const range = options.entityTimeRange;
    // One scan of the keys and times (a count that stopped early would not save it: a small view is read
    // whole anyway, and a large one needs its full count for `keepIneligible`).
    const [rows, eligibleRows] = (await conn.runAndReadAll(viewRowCountsSql(view, range))).getRowsJS()[0].map(Number);
    const unique = eligibleRows <= options.entityRows * ratio && (await conn.runAndReadAll(uniqueEventTimeSql(view, range))).getRowsJS()[0][0] === true;
    const keepIneligible = eligibleRows > options.entityRows && eligibleRows >= KEEP_INELIGIBLE_SHARE * rows;
    out.push({ ...view, uniqueEventTime: unique, keepIneligible });
  }
  return out;
}

/** Feature side of one view for `availability: created` (carry-forward on availability time). */
export function createdSideSql(view: PitViewSpec, range?: PitJoinSpec['entityTimeRange']): string {
  const keys = view.joinKeys.map(ident);
  const notNull = eligible(view, range);
  const fields = [
    `t := event_timestamp`,
    `c := coalesce(created_timestamp, ${MINUS_INF})`,
    `h := ${tieBreak(view)}`,
    `ev := event_timestamp`,
    `cr := created_timestamp`,
    ...view.features.map((f, i) => `f${i} := ${ident(f.feature)}`),
  ];
  return `SELECT ${keys.join(', ')}, __fg_av,
    max(struct_pack(${fields.join(', ')})) OVER (PARTITION BY ${keys.join(', ')} ORDER BY __fg_av
      RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS __fg_best
  FROM (SELECT *, greatest(event_timestamp, coalesce(created_timestamp, event_timestamp)) AS __fg_av
        FROM (${view.relationSql}) AS __fg_src WHERE ${notNull}) AS __fg_src2`;
}

/**
 * The whole point-in-time join as one SELECT, ordered by entity row.
 *
 * @example
 * pointInTimeJoinSql({ entitySql: 'SELECT * FROM ents', entityColumns: ['origin', 'event_timestamp'],
 *   availability: 'event', views: [{ name: 'airport_hourly', relationSql: '...', joinKeys: ['origin'],
 *   features: [{ feature: 'departures', column: 'departures' }], allFeatures: ['departures'], ttlMicros: 0 }] });
 */
export function pointInTimeJoinSql(spec: PitJoinSpec): string {
  const created = spec.availability === 'created';
  // Entity-side sort keys, only those some view's inequality uses.
  const keyed = created ? [] : spec.views.filter((v) => !v.uniqueEventTime);
  const esk = [
    ...(keyed.some((v) => v.hasCreated !== false) ? [`struct_pack(t := ${ENTITY_TS}, c := ${PLUS_INF}, h := ${UBIGINT_MAX}) AS __fg_esk`] : []),
    ...(keyed.some((v) => v.hasCreated === false) ? [`struct_pack(t := ${ENTITY_TS}, h := ${UBIGINT_MAX}) AS __fg_esk2`] : []),
  ];
  const ctes = [`__fg_e AS (SELECT *${esk.map((k) => `, ${k}`).join('')} FROM (${spec.entitySql}) AS __fg_in)`];
  const joins: string[] = [];
  const cols: string[] = spec.entityColumns.map((c) => `__fg_e.${ident(c)}`);
  const hidden: string[] = [];
  spec.views.forEach((view, i) => {
    const alias = `__fg_v${i}`;
    ctes.push(`${alias} AS (${created ? createdSideSql(view, spec.entityTimeRange) : eventSideSql(view, spec.entityTimeRange)})`);
    const keyEq = view.joinKeys.map((k) => `__fg_e.${ident(k)} = ${alias}.${ident(k)}`);
    const ineq = created
      ? `__fg_e.${ENTITY_TS} >= ${alias}.__fg_av`
      : view.uniqueEventTime
        ? `__fg_e.${ENTITY_TS} >= ${alias}.__fg_ev`
        : `__fg_e.${view.hasCreated === false ? '__fg_esk2' : '__fg_esk'} >= ${alias}.__fg_sk`;
    joins.push(`ASOF LEFT JOIN ${alias} ON ${[...keyEq, ineq].join(' AND ')}`);
    const ev = created ? `${alias}.__fg_best.ev` : view.uniqueEventTime ? `${alias}.__fg_ev` : `${alias}.__fg_sk.t`;
    const cr = view.hasCreated === false ? null : created ? `${alias}.__fg_best.cr` : `${alias}.__fg_cr`;
    const ttl = BigInt(view.ttlMicros);
    // The ASOF match is the best eligible row; outside the TTL nothing is (older rows are further out).
    // Without a TTL there is nothing to check: no match leaves every column of the view NULL.
    const ok = ttl > 0n ? `${ev} >= __fg_e.${ENTITY_TS} - to_microseconds(${ttl.toString()}::BIGINT)` : null;
    const guard = (value: string) => (ok ? `CASE WHEN ${ok} THEN ${value} END` : value);
    view.features.forEach((f, j) => {
      const value = created ? `${alias}.__fg_best.f${j}` : `${alias}.${ident(f.feature)}`;
      cols.push(`${guard(value)} AS ${ident(f.column)}`);
    });
    const h = hiddenTimestampColumns(i, view.name);
    hidden.push(`${guard(ev)} AS ${ident(h.event)}`, `${cr === null ? 'NULL::TIMESTAMP' : guard(cr)} AS ${ident(h.created)}`);
  });
  const select = spec.hiddenColumns ? [`__fg_e.${ROW_ORDINAL}`, ...cols, ...hidden] : cols;
  return `WITH ${ctes.join(',\n')}
SELECT ${select.join(',\n  ')}
FROM __fg_e
${joins.join('\n')}
ORDER BY __fg_e.${ROW_ORDINAL}`;
}
