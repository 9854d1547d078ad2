/**
 * Finding the drift reference: `baseline:<name>` when configured, else the
 * newest baseline pinned for the view or service, else the last successful run
 * (materializations for views, dataset builds for services), or with
 * `previous:<n>` the last n successful runs pooled into one reference. A view
 * fed only by pushes has no materialization: its earlier pushes are pooled
 * instead (the last 10, or n). Profiles come from the state database: a later
 * run never re-reads old data.
 */
import { featuresOfView } from '../definitions/definition-set.js';
import type { DefinitionSet } from '../definitions/types.js';
import type { Project } from '../project.js';
import type { RunKind } from '../runs/types.js';
import type { StateDb } from '../state/state-db.js';
import { ensureViewHistoryTable, inViewHistorySql } from '../runs/view-history.js';
import { driftSettingsOf, getBaseline, pinnedBaselineFor, targetLabel, type Baseline } from './baselines.js';
import { poolProfiles } from './pooled-profile.js';
import { WRITTEN_DESPITE_BLOCK } from '../runs/count-text.js';
import type { ColumnProfile, ReferenceProfiles } from './profile-types.js';

type StoredProfile = { column: string; slice: string | null; profile: unknown };

export interface ReferenceQuery {
  /** The run's pinned definitions (which services use a view); default: the registry's current ones. */
  definitions?: DefinitionSet;
  view?: string;
  service?: string;
  kind: RunKind;
  /** The current run (never its own reference). */
  runId: string;
  /** `previous`, `previous:<n>` (the last n runs pooled) or `baseline:<name>`. */
  setting: string;
  /** Robust z of the outlier definition, for pooled references. */
  outlierZ?: number;
  /** Runs with fewer rows are no reference (drift would be skipped against them): the drift check's `min_rows`. */
  minRows?: number;
  /**
   * Runs where this check failed for this feature are passed over (the class reference: a run that lost a class,
   * warned rather than blocked, would make the loss what the next run is compared with).
   */
  notFailed?: { check: string; feature: string };
}

/** How a dataset build written despite blocking checks (`allowFailedChecks`) starts its run's message: no reference. */
export { WRITTEN_DESPITE_BLOCK } from '../runs/count-text.js';

/**
 * The reference, or null with the reason (`problem` is set when a configured baseline is missing or was
 * pinned for another view or service).
 */
export function findReference(project: Project, q: ReferenceQuery): { reference: ReferenceProfiles | null; problem: string | null; reason: string } {
  if (q.setting.startsWith('baseline:')) {
    const name = q.setting.slice('baseline:'.length);
    const b = getBaseline(project, name);
    if (!b) return { reference: null, problem: `configured drift reference baseline '${name}' is not pinned`, reason: 'missing baseline' };
    const wrong = otherTargetProblem(project, b, q);
    if (wrong) return { reference: null, problem: wrong, reason: 'baseline of another target' };
    return { reference: fromStored(`baseline:${name}`, b.run_id, b.profiles, q.view), problem: null, reason: '' };
  }
  // A service's baseline (a training set) serves a view only when the view names it (`drift.reference:
  // baseline:<name>`, above): a training set has a row per entity row (a flight), a view a row per entity and
  // event time (an airport-hour), so the two distributions differ by their weighting even on the same data, and
  // using it by default called every feature of the flights example drifted on the rows it was built from.
  const pinned = pinnedBaselineFor(project, { view: q.view, service: q.view ? undefined : q.service });
  if (pinned) return { reference: fromStored(`baseline:${pinned.name}`, pinned.run_id, pinned.profiles, q.view), problem: null, reason: '' };
  const n = previousCount(q.setting);
  let runs = previousRuns(project.state, q, q.view ? 'materialize' : 'dataset', n ?? 1);
  // A push is a batch of the stream, not a window: one batch alone is a noisy reference, so several are pooled.
  const pushes = runs.length === 0 && q.view !== undefined;
  if (pushes) runs = previousRuns(project.state, q, 'push', n ?? PUSHES_POOLED);
  if (runs.length === 0) return { reference: null, problem: null, reason: noReferenceReason(q) };
  const refs = runs.map((id) => fromStored('previous', id, project.runs.profiles(id) as StoredProfile[], undefined));
  const reference = refs.length === 1 ? refs[0] : pooled(refs, q.outlierZ);
  return { reference: pushes ? { ...reference, pushes: true } : reference, problem: null, reason: '' };
}

/** Earlier pushes pooled into the reference of a view that no materialization feeds, with `previous`. */
export const PUSHES_POOLED = 10;

function noReferenceReason(q: ReferenceQuery): string {
  const rows = `${q.minRows ?? 1} or more rows`;
  if (q.view) return `no pinned baseline and no earlier successful run of view ${q.view} (a materialization, or a push of ${rows})`;
  if (q.service) return `no pinned baseline and no earlier successful run of service ${q.service} (a dataset build of ${rows})`;
  return 'no pinned baseline and no earlier successful run';
}

/**
 * A baseline named by drift.reference must be of the run's view or service (or of a service that uses the
 * view, as a pinned one is found): another target's profiles would raise false drift alarms, or skip
 * every feature as "not in the reference" and pass. A run of neither (a dataset checked without
 * --service) has nothing to match.
 */
function otherTargetProblem(project: Project, b: Baseline, q: ReferenceQuery): string | null {
  if (!q.view && !q.service) return null;
  if (q.view ? b.view === q.view : b.service === q.service) return null;
  if (q.view && b.service && servicesUsingView(q.definitions ?? project.registry.current(), q.view).includes(b.service)) return null;
  const target = targetLabel(q);
  const nor = q.view && b.service ? ', nor for a service that uses it' : '';
  return `configured drift reference baseline '${b.name}' was pinned for ${targetLabel(b)}, not ${target}${nor}: pin a baseline for ${target} (featureguard baseline pin --name NAME --${q.view ? 'view' : 'service'} ${q.view ?? q.service} --from-run RUN_ID) and name it in its drift.reference, or set that to previous`;
}

/** The feature services that consume some feature of the view. */
function servicesUsingView(set: DefinitionSet, view: string): string[] {
  return [...set.services.values()].filter((s) => featuresOfView(set, s.features, view).length > 0).map((s) => s.name);
}

/**
 * What drift of a view (materializations) or service (dataset builds) is measured against now, as the
 * next run would find it: `baseline:<name>`, `previous` or `previous:<n>` (`reference`), else null with
 * the problem (a configured baseline missing or of another target) or the reason.
 */
export function currentReference(project: Project, target: { view: string } | { service: string }): { reference: string | null; runIds: string[]; problem: string | null; reason: string } {
  const drift = driftSettingsOf(project, target);
  const { reference, problem, reason } = findReference(project, {
    ...target, kind: 'view' in target ? 'materialize' : 'dataset', runId: '', setting: drift.reference, minRows: drift.min_rows,
  });
  return { reference: reference?.description ?? null, runIds: [...(reference?.runIds ?? (reference?.runId ? [reference.runId] : []))], problem, reason };
}

/** `previous:7` → 7; `previous` → null (one run; for pushes, `PUSHES_POOLED`). */
function previousCount(setting: string): number | null {
  const m = /^previous(?::(\d+))?$/.exec(setting);
  return m?.[1] ? Math.max(1, Number(m[1])) : null;
}

/** The last runs' references (newest first) as one: every column and slice pooled. */
function pooled(refs: readonly ReferenceProfiles[], outlierZ: number | undefined): ReferenceProfiles {
  const byColumn = (maps: readonly (ReadonlyMap<string, ColumnProfile> | undefined)[]) => {
    const out = new Map<string, ColumnProfile>();
    const columns = new Set(maps.flatMap((m) => [...(m?.keys() ?? [])]));
    for (const c of columns) out.set(c, poolProfiles(maps.map((m) => m?.get(c)).filter((p) => p !== undefined), { outlierZ }));
    return out;
  };
  const slices = new Map<string, Map<string, Map<string, ColumnProfile>>>();
  for (const sliceCol of new Set(refs.flatMap((r) => [...(r.slices?.keys() ?? [])]))) {
    const values = new Set(refs.flatMap((r) => [...(r.slices?.get(sliceCol)?.keys() ?? [])]));
    slices.set(sliceCol, new Map([...values].map((v) => [v, byColumn(refs.map((r) => r.slices?.get(sliceCol)?.get(v)))])));
  }
  return { description: `previous:${refs.length}`, runId: refs[0].runId, runIds: refs.map((r) => r.runId!), profiles: byColumn(refs.map((r) => r.profiles)), slices };
}

/**
 * SQL condition on a `runs` row (aliased `alias`) that drift's `previous` reference may take: successful or warned,
 * with profiles, of `minRows` (an SQL expression: a parameter, a number) or more rows, not a dataset written despite
 * blocking checks, and since its view's history last started over. Retention keeps what it names (prune.ts).
 * Call `ensureViewHistoryTable` first.
 */
export function referenceEligibleSql(alias: string, minRows: string): string {
  // Not an empty or tiny window (drift against it would be skipped), nor a dataset written despite blocking checks
  // (its faults would become what later builds are compared with), nor a view's run from before its history last
  // started over (its values dropped: removed and added back, or re-keyed); a run of no view passes that last test.
  return `${alias}.status IN ('success', 'warned') AND coalesce(${alias}.rows_in, ${minRows}) >= ${minRows}
    AND coalesce(${alias}.message, '') NOT LIKE '${WRITTEN_DESPITE_BLOCK}%'
    AND EXISTS (SELECT 1 FROM profiles p WHERE p.run_id = ${alias}.id) AND ${inViewHistorySql(alias)}`;
}

/**
 * Which failed results of the class check pass a run over as the class reference: all but a label coverage
 * result (`labelled_rows`) of a part that still had labels. A build whose test part is 40% labelled still has its
 * classes; passing it over would leave builds that always sit under `min_labelled_share` with no class reference,
 * and vanished classes unnoticed. A part without any label is passed over (its classes are none).
 */
const CLASS_LOSS_SQL = `(coalesce(json_extract(record, '$.method'), '') <> 'labelled_rows' OR coalesce(json_extract(record, '$.metrics.labelled_rows'), 0) = 0)`;

/**
 * The last `n` runs of `kind` that drift may take as the reference of the view (materializations, pushes) or service
 * (dataset builds), newest first.
 */
export function previousRuns(db: StateDb, q: Pick<ReferenceQuery, 'view' | 'service' | 'runId' | 'minRows' | 'notFailed'>, kind: RunKind, n: number): string[] {
  const [col, val] = q.view ? ['view', q.view] : q.service ? ['service', q.service] : [null, null];
  if (!col) return [];
  ensureViewHistoryTable(db);
  const notFailed = q.notFailed
    ? `AND NOT EXISTS (SELECT 1 FROM check_results c WHERE c.run_id = runs.id AND c."check" = @check AND c.feature = @feature AND c.status = 'fail' AND ${CLASS_LOSS_SQL})`
    : '';
  const rows = db
    .prepare(`SELECT id FROM runs WHERE ${col} = @val AND kind = @kind AND id <> @run AND ${referenceEligibleSql('runs', '@min_rows')} ${notFailed} ORDER BY started_at DESC, rowid DESC LIMIT @n`)
    .all({ val, kind, run: q.runId, min_rows: q.minRows ?? 1, n, ...(q.notFailed ? { check: q.notFailed.check, feature: q.notFailed.feature } : {}) }) as { id: string }[];
  return rows.map((r) => r.id);
}

/** Whether `check` failed for `feature` in any of the runs (the class reference passes over such runs). */
export function failedIn(db: StateDb, runIds: readonly string[], check: string, feature: string): boolean {
  if (runIds.length === 0) return false;
  const row = db
    .prepare(`SELECT 1 FROM check_results WHERE run_id IN (SELECT value FROM json_each(@ids)) AND "check" = @check AND feature = @feature AND status = 'fail' AND ${CLASS_LOSS_SQL} LIMIT 1`)
    .get({ ids: JSON.stringify(runIds), check, feature });
  return row !== undefined;
}

/**
 * Build reference maps from stored profiles. A baseline pinned from a dataset
 * build may name columns `view__feature`: for a view they are mapped to `feature`.
 */
export function fromStored(description: string, runId: string | null, stored: readonly StoredProfile[], view?: string): ReferenceProfiles {
  const profiles = new Map<string, ColumnProfile>();
  const slices = new Map<string, Map<string, Map<string, ColumnProfile>>>();
  const prefix = view ? `${view}__` : null;
  for (const s of stored) {
    const p = s.profile as ColumnProfile;
    const column = prefix && s.column.startsWith(prefix) ? s.column.slice(prefix.length) : s.column;
    const prof = column === p.column ? p : { ...p, column };
    if (!s.slice) {
      // A prefixed name wins over an unprefixed one (the dataset's own entity columns may collide).
      if (!profiles.has(column) || s.column !== column) profiles.set(column, prof);
      continue;
    }
    const eq = s.slice.indexOf('=');
    const sliceCol = s.slice.slice(0, eq);
    const value = s.slice.slice(eq + 1);
    let byValue = slices.get(sliceCol);
    if (!byValue) slices.set(sliceCol, (byValue = new Map()));
    let m = byValue.get(value);
    if (!m) byValue.set(value, (m = new Map()));
    m.set(column, prof);
  }
  return { description, runId, profiles, slices };
}
