/**
 * The point-in-time join as pure SQL builders (DESIGN.md §3). One ASOF LEFT JOIN
 * per feature view, views joined one after another onto the entity rows.
 *
 * How each rule of §3 is met:
 * - Deduplication on (keys, event_ts) happens inside the ASOF join itself: the
 *   inequality is on a sort key `{event_ts, created_ts, tiebreak}` (a STRUCT,
 *   without `created_ts` when the source has none;
 *   compared field by field), and the entity side asks for `{ts, +infinity,
 *   UBIGINT max}`. The ASOF join picks the greatest feature key not above the
 *   entity key: the greatest `event_ts <= ts`, then the greatest `created_ts`
 *   (NULL counts as lowest), then the greatest `tiebreak` = `hash(all feature
 *   values of the view)`. Rows equal on all three have equal feature values, so
 *   the choice cannot change the output. This is measurably cheaper than a
 *   separate window-function deduplication (see test/bench/dataset.bench.ts).
 * - TTL is checked on the chosen row: if the greatest eligible row is older than
 *   `ts - ttl`, every other eligible row is older still, so the answer is null.
 * - `availability: created`: a row is eligible when `max(event_ts, created_ts)
 *   <= ts`. Per key, rows are ordered by that availability time and carry forward
 *   the greatest `{event_ts, created_ts, tiebreak, values}` seen so far (a running
 *   max whose frame includes peers); one ASOF on availability time then finds the
 *   best row among all rows available at `ts`.
 * - Every entity row has an ordinal (`__fg_row`); ASOF LEFT JOIN yields at most
 *   one match, so each entity row appears once; the result is ordered by ordinal.
 */
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

/** Feature side of one view for `availability: event`. */
export function eventSideSql(view: PitViewSpec, range?: PitJoinSpec['entityTimeRange']): string {
  const keys = view.joinKeys.map(ident);
  const feats = view.features.map((f) => ident(f.feature));
  const notNull = eligible(view, range);
  return `SELECT ${keys.join(', ')},
    ${view.hasCreated === false ? `struct_pack(t := event_timestamp, h := ${tieBreak(view)})` : `struct_pack(t := event_timestamp, c := coalesce(created_timestamp, ${MINUS_INF}), h := ${tieBreak(view)})`} AS __fg_sk,
    event_timestamp AS __fg_ev, created_timestamp AS __fg_cr${feats.map((f) => `, ${f}`).join('')}
  FROM (${view.relationSql}) AS __fg_src WHERE ${notNull}`;
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
  const ctes = [
    `__fg_e AS (SELECT *, struct_pack(t := ${ENTITY_TS}, c := ${PLUS_INF}, h := ${UBIGINT_MAX}) AS __fg_esk,
      struct_pack(t := ${ENTITY_TS}, h := ${UBIGINT_MAX}) AS __fg_esk2 FROM (${spec.entitySql}) AS __fg_in)`,
  ];
  const joins: string[] = [];
  const cols: string[] = spec.entityColumns.map((c) => `__fg_e.${ident(c)}`);
  const hidden: string[] = [];
  spec.views.forEach((view, i) => {
    const alias = `__fg_v${i}`;
    const created = spec.availability === 'created';
    ctes.push(`${alias} AS (${created ? createdSideSql(view, spec.entityTimeRange) : eventSideSql(view, spec.entityTimeRange)})`);
    const keyEq = view.joinKeys.map((k) => `__fg_e.${ident(k)} = ${alias}.${ident(k)}`);
    const esk = view.hasCreated === false ? '__fg_esk2' : '__fg_esk';
    const ineq = created ? `__fg_e.${ENTITY_TS} >= ${alias}.__fg_av` : `__fg_e.${esk} >= ${alias}.__fg_sk`;
    joins.push(`ASOF LEFT JOIN ${alias} ON ${[...keyEq, ineq].join(' AND ')}`);
    const ev = created ? `${alias}.__fg_best.ev` : `${alias}.__fg_ev`;
    const cr = created ? `${alias}.__fg_best.cr` : `${alias}.__fg_cr`;
    const ttl = BigInt(view.ttlMicros);
    // The ASOF match is the best eligible row; outside the TTL nothing is (older rows are further out).
    const ok = ttl > 0n ? `${ev} >= __fg_e.${ENTITY_TS} - to_microseconds(${ttl.toString()}::BIGINT)` : `${ev} IS NOT NULL`;
    view.features.forEach((f, j) => {
      const value = created ? `${alias}.__fg_best.f${j}` : `${alias}.${ident(f.feature)}`;
      cols.push(ttl > 0n ? `CASE WHEN ${ok} THEN ${value} END AS ${ident(f.column)}` : `${value} AS ${ident(f.column)}`);
    });
    const h = hiddenTimestampColumns(i, view.name);
    hidden.push(`CASE WHEN ${ok} THEN ${ev} END AS ${ident(h.event)}`, `CASE WHEN ${ok} THEN ${cr} END AS ${ident(h.created)}`);
  });
  const select = spec.hiddenColumns ? [`__fg_e.${ROW_ORDINAL}`, ...cols, ...hidden] : cols;
  return `WITH ${ctes.join(',\n')}
SELECT ${select.join(',\n  ')}
FROM __fg_e
${joins.join('\n')}
ORDER BY __fg_e.${ROW_ORDINAL}`;
}
