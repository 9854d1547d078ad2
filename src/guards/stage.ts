/**
 * The guard stage: an explicit pipeline step that every materialization, dataset
 * build, push and `check` runs before anything becomes visible. It profiles the
 * rows, runs every check family under its policy, stores profiles and results in
 * the quality log, and returns the verdict. A blocked verdict is data, not an
 * exception: the caller leaves the online store untouched and records the run.
 *
 * @example
 * const g = await runGuardStage({ project, run, kind: 'materialize', view, conn, table: 'fg_rows', window });
 * if (g.verdict === 'block') console.error(g.blockedReason);
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { DefinitionSet, FeatureServiceDef, FeatureViewDef } from '../definitions/types.js';
import type { Project } from '../project.js';
import type { CheckResult, Run, RunKind } from '../runs/types.js';
import type { GuardStageResult } from './stage-types.js';
import { fireAlerts } from '../alerts/dispatch.js';
import type { CheckContext, CheckedFeature, TableColumn } from './check.js';
import { provenancePassRequest } from './checks/provenance.js';
import { constraintCounts } from './checks/schema.js';
import { resolveQuality } from './config.js';
import { checkFamilies } from './families.js';
import { categoricalSample, profileSlices, profileTable, describeTable } from './profile.js';
import { ageOptions } from './profile-age.js';
import { countedValues, scanPii } from './checks/pii-detectors.js';
import type { ColumnProfile } from './profile-types.js';
import { maskColumns, maskValue } from './profile-mask.js';
import { knownPiiColumns, piiTarget, recordPiiColumns } from './pii-columns.js';
import { OTHER } from './category-counts.js';
import { findReference } from './reference.js';
import { pushPool } from './push-pool.js';
import { defaultSourceRelation } from './source-history.js';
import { recordRunStats } from './run-stats.js';
import { rowPass, type RowPass } from './row-pass.js';
import { landingDelayMs } from './checks/tamper.js';
import { BAND_HASHES_MAX } from './checks/tamper-band.js';
import { applyPolicies, runFamily } from './verdict.js';
import { ident } from '../offline/engine.js';
import { performance } from 'node:perf_hooks';

/** Extra facts a dataset build gives the guards (leakage, class imbalance, overlap). */
export interface DatasetGuardInfo {
  /** Column of the entity timestamp in `table` (normally `event_timestamp`). */
  readonly entityTimestampColumn: string;
  /** Join key columns of the entity rows. */
  readonly joinKeyColumns: readonly string[];
  /** Output column holding the label, when the build joined one. */
  readonly labelColumn?: string;
  /** A label the rows should hold and do not (a dataset file checked for a service with a label): a missing column. */
  readonly missingLabel?: string;
  /** Feature columns in `table` and where they came from. */
  readonly features: readonly { readonly column: string; readonly view: string; readonly feature: string }[];
  /** Per joined view: hidden columns in `table` with the chosen feature row's event and created timestamps. */
  readonly viewTimestamps: readonly { readonly view: string; readonly eventTsColumn: string; readonly createdTsColumn: string | null }[];
  readonly availability: 'event' | 'created';
  /** When the build splits: tables (on the same connection) with the train and test rows. */
  readonly split?: { readonly trainTable: string; readonly testTable: string };
}

export interface GuardStageInput {
  readonly project: Project;
  /** The run, already created in the quality log with status `running`. */
  readonly run: Run;
  readonly kind: RunKind;
  /** The view whose rows are checked (materialize, push, check on a view). */
  readonly view?: FeatureViewDef;
  /** The service of a dataset build, if built from one. */
  readonly service?: FeatureServiceDef;
  /** DuckDB connection on which `table` exists. */
  readonly conn: DuckDBConnection;
  /**
   * Table or view with the rows to check. For views: join keys, `event_timestamp`,
   * `created_timestamp`, features (canonical columns, all rows of the window, not
   * only the latest per entity). For dataset builds: the joined rows.
   */
  readonly table: string;
  readonly window?: { readonly start: Date; readonly end: Date };
  readonly dataset?: DatasetGuardInfo;
  /** Skip every check (benchmarks measuring guard overhead). */
  readonly disabled?: boolean;
  /**
   * A SQL relation (usable after FROM) with the view's whole source in canonical
   * columns, for re-checking already-materialized history (tamper detection).
   * Default: built from the view's source definition when possible, for runs on a
   * view's window other than pushes (the only ones that read it).
   */
  readonly sourceRelation?: string;
  /**
   * The definitions the rows were read, joined and cast with (the caller's pinned `registry.current()`): every
   * check judges by these, so an apply in another process during the run does not change what it is checked
   * against. Default: the registry's current definitions when the stage starts.
   */
  readonly definitions?: DefinitionSet;
  /** Clock of the stage (tests pin it). Default: now. */
  readonly now?: Date;
  /** Fire the matching alert webhooks for this run (default true). Alerts carry the guards' verdict: they fire before the caller writes anything. */
  readonly alerts?: boolean;
}

export type { GuardStageResult } from './stage-types.js';

const EMPTY = { pass: 0, warn: 0, fail: 0, error: 0, skipped: 0 };

/** Run the guards on `input.table` and store profiles and results with the run. */
export async function runGuardStage(input: GuardStageInput): Promise<GuardStageResult> {
  const turn: PoolTurn = {};
  try {
    return await guardStage(input, turn);
  } finally {
    turn.release?.();
  }
}

/** A small push's turn to read its view's pool and store its own profiles (`poolTurn`), released once they are stored. */
interface PoolTurn {
  release?: () => void;
}

/** Per project and view, the last small push's turn (push-pool.ts): they read their pool and store their profiles one at a time. */
const poolTurns = new Map<string, Promise<void>>();

/**
 * Wait for the small pushes of the view before this one (in this process) to have stored their profiles, so that
 * concurrent one-row pushes each see the others in their pool rather than all judging an empty one.
 */
async function poolTurn(key: string): Promise<() => void> {
  const before = poolTurns.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const last = before.then(() => mine);
  poolTurns.set(key, last);
  await before;
  return () => {
    release();
    if (poolTurns.get(key) === last) poolTurns.delete(key);
  };
}

async function guardStage(input: GuardStageInput, turn: PoolTurn): Promise<GuardStageResult> {
  if (input.disabled) return { verdict: 'pass', results: [], blockedReason: null, counts: { ...EMPTY } };
  const { project, conn, table, view, service } = input;
  const now = input.now ?? new Date();
  const definitions = input.definitions ?? project.registry.current();
  const timings: Record<string, number> = {};
  let mark = performance.now();
  const lap = (name: string) => {
    const t = performance.now();
    timings[name] = (timings[name] ?? 0) + (t - mark);
    mark = t;
  };
  const quality = resolveQuality(project.config.quality, view?.quality ?? service?.quality);
  const columns = await describeTable(conn, table);
  const colNames = new Set(columns.map((c) => c.name));
  const rowCount = Number(((await conn.runAndReadAll(`SELECT count(*) AS n FROM ${ident(table)}`)).getRowObjectsJson()[0] as { n: string }).n);
  const features = checkedFeatures(input, definitions, project.config.quality);
  const joinKeys = input.dataset ? [...input.dataset.joinKeyColumns] : view ? viewKeyNames(definitions, view) : [];

  const { reference, problem, reason } = findReference(project, { definitions, view: view?.name, service: service?.name, kind: input.kind, runId: input.run.id, setting: quality.drift.reference, outlierZ: quality.anomaly.outlier_z, minRows: quality.drift.min_rows });
  // featureguard's own hidden columns (a dataset's row ordinal and chosen-row timestamps) are not data: no profile, no drift.
  const profiled = columns.filter((c) => !c.name.startsWith('__fg_'));
  const eventTs = input.dataset ? input.dataset.entityTimestampColumn : colNames.has('event_timestamp') ? 'event_timestamp' : null;
  const base: CheckContext = {
    project, definitions, conn, table, kind: input.kind, run: input.run, view, service, dataset: input.dataset, window: input.window, now, quality,
    features, joinKeys, eventTimestampColumn: eventTs && colNames.has(eventTs) ? eventTs : null,
    createdTimestampColumn: !input.dataset && colNames.has('created_timestamp') ? 'created_timestamp' : null,
    columns, rowCount, profiles: new Map(), sliceProfiles: new Map(), reference, referenceProblem: problem, referenceReason: reason,
  };
  const pass = await stageRowPass(base, profiled);
  lap('row pass');
  // Timestamp features are profiled with their age at the rows' event time (drift compares that, profile-age.ts).
  const age = ageOptions(columns, base.eventTimestampColumn, features.map((f) => f.column));
  const rawProfiles = await profileTable(conn, table, { columns: profiled, reference: reference?.profiles, outlierZ: outlierZOf(features, quality.anomaly.outlier_z), aggregate: pass?.aggregate, age });
  // Personal data declared with pii: true, and PII in columns the PII check does not judge (join keys
  // such as an email, a dataset's pass-through columns), is masked from the start: its values reach no record.
  // Columns found to hold PII by an earlier run of this view or service stay masked.
  const piiOf = piiTarget(view, service);
  const unchecked = uncheckedPii(rawProfiles, features, quality.leakage.pii_min_share);
  const maskedFromStart = new Set([...features.filter((f) => f.def.pii === true).map((f) => f.column), ...unchecked.found, ...unchecked.tooFew, ...knownPiiColumns(project.state, piiOf)]);
  const profiles = maskColumns(rawProfiles, maskedFromStart);
  lap('profiles');
  const sliceProfiles = new Map<string, Map<string, Map<string, ColumnProfile>>>();
  for (const s of view?.slices ?? []) {
    if (!colNames.has(s)) continue;
    const sliceCols = columns.filter((c) => features.some((f) => f.column === c.name));
    const bySlice = await profileSlices(conn, table, s, { columns: sliceCols, maxSlices: quality.drift.max_slices, reference: reference?.slices?.get(s), age });
    // Slices of a column holding personal data are named by the hash of their value.
    sliceProfiles.set(s, new Map([...bySlice].map(([value, m]) => [maskedFromStart.has(s) ? maskValue(value) : value, maskColumns(m, maskedFromStart)])));
  }

  lap('slices');
  const createdTs = base.createdTimestampColumn && (profiles.get('created_timestamp')?.nulls ?? 0) < rowCount ? 'created_timestamp' : null;
  // Only the tamper check and future_source_rows read the whole source, both on a view's window and never for a
  // push: building the relation lists (and resolves) every file of the source, which a push would pay for nothing.
  const readsSource = view !== undefined && input.window !== undefined && input.kind !== 'push' && !input.dataset;
  // A push too small to judge on its own is judged on a pool of the view's latest small pushes (push-pool.ts), one
  // such push of the view at a time from here until its profiles are stored.
  const minPool = poolMinRows(quality.drift.min_rows, features);
  const pooling = input.kind === 'push' && view !== undefined && reference !== null && (quality.drift.pool_pushes ?? quality.drift.policy === 'block');
  if (pooling && rowCount < minPool) turn.release = await poolTurn(`${project.root}\u0000${view.name}`);
  const pool = pooling
    ? pushPool(project.state, project.runs, { view: view.name, runId: input.run.id, rows: rowCount, minRows: minPool, current: profiles, reference, outlierZ: outlierZOf(features, quality.anomaly.outlier_z) })
    : null;
  lap('pool');
  const ctx: CheckContext = {
    ...base, createdTimestampColumn: createdTs, profiles, sliceProfiles, rowPass: pass, pool,
    sourceRelation: input.sourceRelation ?? (readsSource ? await defaultSourceRelation(project, view, conn, definitions) : null),
  };

  const raw: CheckResult[] = [];
  for (const family of checkFamilies()) {
    if (family.kinds && !family.kinds.includes(input.kind)) continue;
    raw.push(...(await runFamily(ctx, family)));
    lap(family.name ? `${family.family}.${family.name}` : family.family);
  }
  const policed = applyPolicies(raw);
  const { verdict, blockedReason, counts } = policed;

  // Columns the PII check found personal data in: the quality log keeps no values of them either. A sample too
  // small to judge (a few rows holding a lookalike) is masked in this run only: not remembered as PII.
  const foundPii = piiColumns(policed.results);
  // Each record waits for another process's write lock on a timer (`writeWhenFree`): a server goes on answering.
  await recordPiiColumns(project.state, piiOf, [...foundPii.found, ...unchecked.found], input.run.id);
  const maskedPii = new Set([...foundPii.found, ...foundPii.tooFew]);
  const results = maskResults(policed.results, maskedPii);
  await project.runs.addResults(results);
  const stored: { column: string; slice?: string | null; profile: unknown }[] = [...maskColumns(profiles, maskedPii).values()].map((p) => ({ column: p.column, profile: p }));
  for (const [col, byValue] of sliceProfiles) {
    for (const [value, m] of byValue) for (const p of maskColumns(m, maskedPii).values()) stored.push({ column: p.column, slice: `${col}=${value}`, profile: p });
  }
  await project.runs.addProfiles(input.run.id, stored);
  turn.release?.();
  turn.release = undefined;
  const maxTs = eventTs ? profiles.get(eventTs)?.max : null;
  await recordRunStats(project.state, { runId: input.run.id, rows: rowCount, maxEventTs: typeof maxTs === 'string' ? maxTs : null });
  await project.runs.updateWhenFree(input.run.id, { counts });
  lap('store');

  if (input.alerts !== false) {
    // Alerts must never fail the run: delivery problems are recorded as attempts.
    await fireAlerts(project, input.run.id, { verdict, results, blockedReason }).catch(() => undefined);
    lap('alerts');
  }
  return { verdict, results, blockedReason, counts, timings };
}

/**
 * One pass over the rows for the profile aggregates, the schema constraints and
 * provenance (day checksums, row counts; duplicates have their own query in
 * checks/duplicate-keys.ts): see row-pass.ts. If it
 * fails (an unexpected type in some condition), each part runs its own pass and
 * reports its own error.
 */
async function stageRowPass(ctx: CheckContext, profiled: readonly TableColumn[]): Promise<RowPass | undefined> {
  const byDay = !ctx.dataset && ctx.eventTimestampColumn === 'event_timestamp';
  const provenance = byDay || (ctx.dataset && ctx.eventTimestampColumn) ? provenancePassRequest(ctx) : {};
  try {
    // The tamper check's rows settled by now − landing delay, per day, and the hashes of the others (its band), in
    // the same pass (see tamper.ts).
    const created = byDay && ctx.view && ctx.definitions.sources.get(ctx.view.source)?.created_timestamp_field !== undefined;
    const settledBy = created ? { column: 'created_timestamp', at: new Date(Date.now() - landingDelayMs(ctx)), unsettledHashesMax: BAND_HASHES_MAX } : undefined;
    return await rowPass(ctx.conn, ctx.table, {
      columns: profiled, byDay, ...provenance, settledBy, counts: { ...provenance.counts, ...constraintCounts(ctx) },
    });
  } catch {
    return undefined;
  }
}

function viewKeyNames(set: DefinitionSet, view: FeatureViewDef): string[] {
  return view.entities.flatMap((e) => set.entities.get(e)?.join_keys.map((k) => k.name) ?? []);
}

function checkedFeatures(input: GuardStageInput, set: DefinitionSet, projectQuality: Parameters<typeof resolveQuality>[0]): CheckedFeature[] {
  const { view, service, dataset } = input;
  if (dataset) {
    return dataset.features.flatMap((f) => {
      const v = set.views.get(f.view);
      const def = v?.features.find((x) => x.name === f.feature);
      if (!v || !def) return [];
      return [{ column: f.column, view: f.view, def, quality: resolveQuality(projectQuality, service?.quality ?? v.quality, def.quality) }];
    });
  }
  if (!view) return [];
  return view.features.map((def) => ({ column: def.name, view: view.name, def, quality: resolveQuality(projectQuality, view.quality, def.quality) }));
}

/**
 * String columns that are not checked features (join keys, pass-through columns) whose profile sample holds PII
 * (`found`), or holds a share of lookalikes too few to judge (`tooFew`: masked in this run, not remembered).
 */
function uncheckedPii(profiles: ReadonlyMap<string, ColumnProfile>, features: readonly CheckedFeature[], minShare: number): { found: string[]; tooFew: string[] } {
  const checked = new Set(features.map((f) => f.column));
  const out = { found: [] as string[], tooFew: [] as string[] };
  for (const p of profiles.values()) {
    if (p.kind !== 'categorical' || checked.has(p.column)) continue;
    const values = categoricalSample(p) ?? (p.top ?? []).map((t) => t.value);
    const scan = scanPii(countedValues(values), minShare);
    if (scan.kinds.length > 0) out.found.push(p.column);
    else if (scan.tooFew.length > 0) out.tooFew.push(p.column);
  }
  return out;
}

/** Columns whose PII check found personal data (declared or not), and those whose sample was too small to judge. */
function piiColumns(results: readonly CheckResult[]): { found: Set<string>; tooFew: Set<string> } {
  const out = { found: new Set<string>(), tooFew: new Set<string>() };
  for (const r of results) {
    if (r.check !== 'leakage' || r.method !== 'pii' || !r.feature) continue;
    const d = r.details as { kinds?: unknown[]; too_few?: unknown[] } | null | undefined;
    if (Array.isArray(d?.kinds) && d.kinds.length > 0) out.found.add(r.feature);
    else if (Array.isArray(d?.too_few) && d.too_few.length > 0) out.tooFew.add(r.feature);
  }
  return out;
}

/** Drift and class-balance records of `columns` with the values they name masked (the counts stay). */
function maskResults(results: readonly CheckResult[], columns: ReadonlySet<string>): CheckResult[] {
  if (columns.size === 0) return [...results];
  return results.map((r) => {
    const details = r.details as { categories?: { values: string[] }; counts?: Record<string, number>; shares?: Record<string, number>; vanished?: string[]; masked?: boolean } | null | undefined;
    if (!r.feature || !columns.has(r.feature) || !details || details.masked) return r;
    if (r.check === 'drift' && details.categories) {
      const values = details.categories.values.map((v) => (v === OTHER ? v : maskValue(v)));
      return { ...r, details: { ...details, categories: { ...details.categories, values }, masked: true } };
    }
    if (r.check === 'class_imbalance' && details.counts) {
      const named = [...Object.keys(details.counts), ...(details.vanished ?? [])];
      const keyed = (m: Record<string, number> | undefined) => (m ? Object.fromEntries(Object.entries(m).map(([k, v]) => [maskValue(k), v])) : m);
      let message = r.message;
      for (const v of named) message = message.replaceAll(`'${v}'`, `'${maskValue(v)}'`);
      return { ...r, message, details: { ...details, counts: keyed(details.counts), shares: keyed(details.shares), vanished: details.vanished?.map(maskValue), masked: true } };
    }
    return r;
  });
}

/** Rows a push needs to be judged on its own: the largest `drift.min_rows` of the view and its features. */
function poolMinRows(viewMinRows: number, features: readonly CheckedFeature[]): number {
  return Math.max(viewMinRows, ...features.map((f) => f.quality.drift.min_rows));
}

/** The robust z of each column's outlier rate: its feature's `anomaly.outlier_z`, else the view's. */
function outlierZOf(features: readonly CheckedFeature[], fallback: number): (column: string) => number {
  const z = new Map(features.map((f) => [f.column, f.quality.anomaly.outlier_z]));
  return (column) => z.get(column) ?? fallback;
}
