/**
 * The data of the feature history page: for the last N runs of a view, the
 * feature's overall drift result and null rate. Three indexed queries in all
 * (the runs, their drift results, the column's profile counts), reading only
 * the JSON fields needed: a profile's 10,000-value sample is never parsed.
 */
import type { Project } from '../../project.js';
import type { CheckResult, Run, RunKind } from '../../runs/types.js';

export interface HistoryPoint {
  readonly run: Run;
  /** The overall (unsliced) drift result of the feature, if the run had one. */
  readonly drift: CheckResult | null;
  /** (NULL + NaN + ±Inf) / count of the feature's column in the run's profile: the missing rate the null-rate check judges. */
  readonly nullRate: number | null;
  readonly rows: number | null;
}

/**
 * The drift results of a feature in `n` runs (`run_id IN (?…)`, then the feature). Found by run (the primary key):
 * `+` keeps SQLite off the (feature, check) index, by which it read the feature's drift results of every run ever.
 */
export function driftResultsSql(n: number): string {
  const marks = Array.from({ length: n }, () => '?').join(', ');
  return `SELECT run_id, record FROM check_results WHERE run_id IN (${marks}) AND +"check" = 'drift' AND +feature = ? AND slice IS NULL ORDER BY run_id, seq`;
}

/** The kinds of run that check a whole window of a view: each has values for its features (a first run: a null rate). */
export const WINDOW_KINDS: readonly RunKind[] = ['materialize', 'dataset', 'check'];

/**
 * A run of the view with values for the feature: a run of a window (`WINDOW_KINDS`), or a push whose drift of the
 * feature measured something. A view that takes pushes records one run per push, most of a row or two with drift
 * skipped (`min_rows`): listed with the rest, its 50 newest runs were such pushes and the charts had nothing to draw.
 * The others are counted by why (`featureHistoryLeftOut`).
 */
const HAS_VALUES_SQL = `(kind IN (${WINDOW_KINDS.map((k) => `'${k}'`).join(', ')})
  OR EXISTS (SELECT 1 FROM check_results cr WHERE cr.run_id = runs.id AND +cr."check" = 'drift' AND +cr.feature = @feature AND cr.slice IS NULL AND cr.status <> 'skipped'))`;

/**
 * The feature's history over the view's last `limit` runs, oldest first: of `kind` when given, else the runs with
 * values for the feature (`HAS_VALUES_SQL`; `featureHistoryLeftOut` counts the others).
 */
export function featureHistory(project: Pick<Project, 'runs' | 'state'>, view: string, feature: string, limit = 50, kind?: RunKind): HistoryPoint[] {
  const runs = kind ? project.runs.list({ view, kind, limit }).runs : runsWithValues(project, view, feature, limit);
  if (runs.length === 0) return [];
  const ids = runs.map((r) => r.id);
  const drift = new Map<string, CheckResult>();
  const nulls = new Map<string, { rate: number | null; rows: number | null }>();
  const marks = ids.map(() => '?').join(', ');
  try {
    const rows = project.state
      .prepare(driftResultsSql(ids.length))
      .all(...ids, feature) as { run_id: string; record: string }[];
    for (const r of rows) if (!drift.has(r.run_id)) drift.set(r.run_id, JSON.parse(r.record) as CheckResult);
  } catch {
    // The run store's tables changed shape: fall back to its public API (one query per run).
    for (const id of ids) {
      const r = project.runs.results(id).find((x) => x.check === 'drift' && x.feature === feature && !x.slice);
      if (r) drift.set(id, r);
    }
  }
  try {
    const rows = project.state
      .prepare(
        `SELECT run_id, json_extract(profile, '$.count') AS n,
           COALESCE(json_extract(profile, '$.nulls'), json_extract(profile, '$.null_count'), 0)
             + COALESCE(json_extract(profile, '$.nan'), 0) + COALESCE(json_extract(profile, '$.inf'), 0) AS nulls
         FROM profiles WHERE run_id IN (${marks}) AND "column" = ? AND slice = ''`,
      )
      .all(...ids, feature) as { run_id: string; n: number | null; nulls: number | null }[];
    for (const r of rows) nulls.set(r.run_id, { rows: r.n, rate: r.n ? (r.nulls ?? 0) / r.n : null });
  } catch {
    for (const id of ids) {
      const p = project.runs.profiles(id).find((x) => x.column === feature && !x.slice)?.profile as { count?: number; nulls?: number; nan?: number; inf?: number } | undefined;
      if (p?.count) nulls.set(id, { rows: p.count, rate: ((p.nulls ?? 0) + (p.nan ?? 0) + (p.inf ?? 0)) / p.count });
    }
  }
  return runs
    .map((run) => ({ run, drift: drift.get(run.id) ?? null, nullRate: nulls.get(run.id)?.rate ?? null, rows: nulls.get(run.id)?.rows ?? null }))
    .reverse();
}

function runsWithValues(project: Pick<Project, 'runs' | 'state'>, view: string, feature: string, limit: number): Run[] {
  const ids = project.state
    .prepare(`SELECT id FROM runs WHERE view = @view AND ${HAS_VALUES_SQL} ORDER BY started_at DESC, id LIMIT @limit`)
    .all({ view, feature, limit }) as { id: string }[];
  return ids.map((r) => project.runs.get(r.id));
}

/**
 * Why the default history left a push out. A push that wrote its values (succeeded or warned) has no drift value for
 * the feature because: its drift had too few values to compare (`min_rows`: the push's own values, as the drift check's
 * message says it), there was no reference yet (a first push), or drift was not measured for another reason (skipped
 * otherwise, or no drift check ran). A push that wrote nothing is counted by its status (blocked, failed, running, queued).
 */
export type LeftOutReason = 'min_rows' | 'no_reference' | 'not_measured' | 'blocked' | 'failed' | 'running' | 'queued';

/**
 * The reason of a run left out (`runs` row): for one that wrote, from the first overall drift result of the feature,
 * else of the run (a run without a reference records one result, of no feature). A skipped drift record says why in
 * `details.reason` (`DriftSkipReason`, src/guards/checks/drift.ts): `min_rows` and `no_reference` are named, any other
 * code is not measured. A record stored before the code has none: its message is matched instead, as the drift check
 * worded it then (`mean_delay: 5 value(s) < min_rows 30, too few to compare`, `… only 12 sampled value(s) (< min_rows
 * 30) …`, `no reference yet: …`); never the message of a record with a code, so rewording the check breaks nothing.
 */
const LEFT_OUT_REASON_SQL = `CASE WHEN status NOT IN ('success', 'warned') THEN status ELSE coalesce((
    SELECT CASE WHEN code IN ('min_rows', 'no_reference') THEN code WHEN code IS NOT NULL THEN 'not_measured'
      WHEN m LIKE 'no reference yet%' THEN 'no_reference'
      WHEN m LIKE '%value(s) < min_rows %' OR m LIKE '%sampled value(s) (< min_rows %' THEN 'min_rows' ELSE 'not_measured' END
    FROM (SELECT json_extract(cr.record, '$.details.reason') AS code, json_extract(cr.record, '$.message') AS m FROM check_results cr
      WHERE cr.run_id = runs.id AND +cr."check" = 'drift' AND (+cr.feature = @feature OR cr.feature IS NULL) AND cr.slice IS NULL
      ORDER BY cr.feature IS NULL, cr.seq LIMIT 1)), 'not_measured') END`;

/**
 * The runs of the view the default history leaves out (those without values for the feature: pushes whose drift of
 * it measured nothing), counted by why (`LeftOutReason`); none: an empty map.
 */
export function featureHistoryLeftOut(project: Pick<Project, 'runs' | 'state'>, view: string, feature: string): Map<LeftOutReason, number> {
  const rows = project.state
    .prepare(`SELECT ${LEFT_OUT_REASON_SQL} AS reason, COUNT(*) AS n FROM runs WHERE view = @view AND NOT ${HAS_VALUES_SQL} GROUP BY reason`)
    .all({ view, feature }) as { reason: LeftOutReason; n: number }[];
  return new Map(rows.map((r) => [r.reason, r.n]));
}
