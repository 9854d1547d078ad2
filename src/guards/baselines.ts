/**
 * Baselines: pinned copies of a run's profiles (for example the training
 * dataset's) that drift is measured against instead of the previous run.
 * Stored in the state database so they outlive the run they came from.
 *
 * @example
 * pinBaseline(project, { name: 'train_2001_01', service: 'delay_model', fromDataset: 'train.parquet.manifest.json' });
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError, NotFoundError } from '../errors.js';
import { resolveFeatureRefs, serviceRefs } from '../definitions/definition-set.js';
import type { DefinitionSet } from '../definitions/types.js';
import type { Project } from '../project.js';
import type { Run } from '../runs/types.js';
import { ensureTables, type StateDb } from '../state/state-db.js';
import { resolveQuality, type ResolvedQuality } from './config.js';

const DDL = `
CREATE TABLE IF NOT EXISTS baselines (
  name TEXT PRIMARY KEY,
  view TEXT,
  service TEXT,
  run_id TEXT,
  source TEXT NOT NULL,
  pinned_at TEXT NOT NULL,
  profiles TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS baselines_view ON baselines (view, pinned_at DESC);
CREATE INDEX IF NOT EXISTS baselines_service ON baselines (service, pinned_at DESC);
`;

/**
 * Baseline names are values, never SQL identifiers, so beyond the definition name rule they may hold
 * '-' and '.' (`train-2001-05`, `v1.2`, as QUALITY-CHECKS.md names them) and start with a digit.
 * Keep in step with the `baseline:` pattern of drift.reference in schemas/quality.schema.json.
 */
const NAME = /^[a-z0-9_][a-z0-9_.-]{0,62}$/;

export interface Baseline {
  name: string;
  view: string | null;
  service: string | null;
  /** Run whose profiles were copied. */
  run_id: string | null;
  /** `run:<id>` or `dataset:<manifest path>`. */
  source: string;
  pinned_at: string;
  columns: number;
}

export interface PinBaselineInput {
  name: string;
  view?: string;
  service?: string;
  fromRun?: string;
  /** Path of a dataset manifest (`*.manifest.json`) whose run's profiles are pinned. */
  fromDataset?: string;
}

type StoredProfile = { column: string; slice: string | null; profile: unknown };

/** What a baseline is pinned for: one view or one service. */
export type BaselineTarget = { view: string; service?: undefined } | { service: string; view?: undefined };

/** `view va` / `service svc`. */
export function targetLabel(t: { view?: string | null; service?: string | null }): string {
  return t.view ? `view ${t.view}` : `service ${t.service}`;
}

/** The drift settings of a view or service (project ← its own `quality:`), as the guard stage resolves them. */
export function driftSettingsOf(project: Project, target: { view?: string; service?: string }): ResolvedQuality['drift'] {
  const set = project.registry.current();
  const def = target.view ? set.views.get(target.view) : target.service ? set.services.get(target.service) : undefined;
  return resolveQuality(project.config.quality, def?.quality).drift;
}

function db(project: Project): StateDb {
  ensureTables(project.state, 'baselines', DDL);
  return project.state;
}

/** The views and services whose `drift.reference` is `baseline:<name>` (drift off: none of them). */
export function targetsNamingBaseline(project: Project, name: string): BaselineTarget[] {
  const set = project.registry.current();
  const targets: BaselineTarget[] = [...[...set.views.keys()].map((view) => ({ view })), ...[...set.services.keys()].map((service) => ({ service }))];
  return targets.filter((t) => {
    const drift = driftSettingsOf(project, t);
    return drift.policy !== 'off' && drift.reference === `baseline:${name}`;
  });
}

/** Run id recorded in a dataset manifest (`run_id`, `runId` or `run.id`). */
export function manifestRunId(path: string): string {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`cannot read dataset manifest ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const run = m.run as Record<string, unknown> | undefined;
  const id = m.run_id ?? m.runId ?? run?.id ?? (m.quality as Record<string, unknown> | undefined)?.run_id;
  if (typeof id !== 'string') throw new InputError(`dataset manifest ${path} names no run (expected run_id)`);
  return id;
}

/** A pinned baseline, and the one of the same name and target it replaced (re-pinning), if any. */
export type PinnedBaseline = Baseline & { replaced: { run_id: string | null; source: string; pinned_at: string } | null };

/**
 * Pin a baseline: copy the profiles of a run (or of a dataset build's run). Re-pinning a name for the same
 * view or service replaces it (`replaced`); a name pinned for another target is refused (`baseline_name_taken`).
 */
export function pinBaseline(project: Project, input: PinBaselineInput): PinnedBaseline {
  if (!NAME.test(input.name)) throw new InputError(`invalid baseline name '${input.name}': use 1-63 lowercase letters, digits, '_', '-' or '.', not starting with '-' or '.'`);
  if (Boolean(input.view) === Boolean(input.service)) throw new InputError('pin a baseline for exactly one of --view or --service');
  if (Boolean(input.fromRun) === Boolean(input.fromDataset)) throw new InputError('pin a baseline from exactly one of --from-run or --from-dataset');
  const set = project.registry.current();
  if (input.view && !set.views.has(input.view)) throw new NotFoundError(`unknown feature view '${input.view}'`, { known: [...set.views.keys()] });
  if (input.service && !set.services.has(input.service)) throw new NotFoundError(`unknown feature service '${input.service}'`, { known: [...set.services.keys()] });
  // Replacing another target's baseline would silently take its drift reference away (checked again as it is written).
  refuseOtherTarget(getBaseline(project, input.name), input);
  const runId = input.fromRun ?? manifestRunId(resolve(input.fromDataset!));
  const run = project.runs.get(runId); // NotFoundError when absent
  if (run.status === 'blocked' || run.status === 'failed' || run.status === 'running' || run.status === 'queued') {
    throw new InputError(
      `run ${runId} is ${run.status}${run.message ? ` (${run.message.split('\n')[0]})` : ''}: a baseline is what good data looks like; pin a successful or warned run`,
      { run_id: runId, status: run.status },
      'baseline_from_bad_run',
    );
  }
  // A dataset written with --allow-failed-checks despite blocking failures is `warned`: not good data either.
  const blocking = project.runs.results(runId).filter((r) => (r.status === 'fail' || r.status === 'error') && r.policy === 'block');
  if (blocking.length > 0) {
    throw new InputError(
      `run ${runId} has ${blocking.length} blocking check failure(s) (first: ${blocking[0].message}): a baseline is what good data looks like; pin a run whose blocking checks passed`,
      { run_id: runId, status: run.status },
      'baseline_from_bad_run',
    );
  }
  // An empty window is no picture of good data: every later drift check against it would be skipped.
  if (run.rows_in === 0) {
    throw new InputError(`run ${runId} read no rows: a baseline is what good data looks like; pin a run with rows`, { run_id: runId, rows: 0 }, 'baseline_from_bad_run');
  }
  // Nor is a handful of rows: drift skips a reference with fewer values than min_rows, so every later check would be skipped.
  const minRows = driftSettingsOf(project, input).min_rows;
  if (run.rows_in !== null && run.rows_in < minRows) {
    throw new InputError(
      `run ${runId} read ${run.rows_in} row(s), fewer than drift.min_rows ${minRows} of ${targetLabel(input)}: drift against it would be skipped as too few to compare; pin a run with at least ${minRows} rows`,
      { run_id: runId, rows: run.rows_in, min_rows: minRows },
      'baseline_from_bad_run',
    );
  }
  const profiles = project.runs.profiles(runId) as StoredProfile[];
  if (profiles.length === 0) throw new InputError(`run ${runId} has no profiles to pin (were its guards disabled?)`);
  checkRunFitsTarget(set, run, profiles, input);
  const source = input.fromRun ? `run:${runId}` : `dataset:${resolve(input.fromDataset!)}`;
  const pinnedAt = new Date().toISOString();
  // The pin it replaces is read in the write's transaction: another process pinning the name meanwhile is seen.
  const state = db(project);
  const existing = state.transaction(() => {
    const before = getBaseline(project, input.name);
    refuseOtherTarget(before, input);
    state
      .prepare('INSERT OR REPLACE INTO baselines (name, view, service, run_id, source, pinned_at, profiles) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(input.name, input.view ?? null, input.service ?? null, runId, source, pinnedAt, JSON.stringify(profiles));
    return before;
  }).immediate();
  return {
    name: input.name, view: input.view ?? null, service: input.service ?? null, run_id: runId, source, pinned_at: pinnedAt, columns: profiles.filter((p) => !p.slice).length,
    replaced: existing ? { run_id: existing.run_id, source: existing.source, pinned_at: existing.pinned_at } : null,
  };
}

/** `baseline_name_taken` when the name is pinned for another view or service. */
function refuseOtherTarget(existing: Baseline | null, input: PinBaselineInput): void {
  if (!existing || (existing.view === (input.view ?? null) && existing.service === (input.service ?? null))) return;
  throw new InputError(
    `baseline '${input.name}' is pinned for ${targetLabel(existing)}, not ${targetLabel(input)}: a name belongs to one view or service; choose another --name, or unpin '${input.name}' first (featureguard baseline unpin ${input.name})`,
    { name: input.name, pinned_for: existing.view ? { view: existing.view } : { service: existing.service } },
    'baseline_name_taken',
  );
}

/**
 * A baseline must describe its view or service: a run of another view (or service), or a view's run for a
 * service, is refused, and so is
 * any run without a profile of one of the target's features (`feature` or `view__feature`) — drift of
 * every feature would otherwise be skipped as "not in the reference" from then on.
 */
function checkRunFitsTarget(set: DefinitionSet, run: Run, profiles: readonly StoredProfile[], input: PinBaselineInput): void {
  const target = input.view ? `view '${input.view}'` : `service '${input.service}'`;
  // A view's baseline may come from a dataset build with its features; a service's only from its own builds
  // (a view run is serving data, not what the service's model was trained on).
  const other = input.view
    ? run.view && run.view !== input.view ? `view '${run.view}'` : null
    : run.service && run.service !== input.service ? `service '${run.service}'` : !run.service && run.view ? `view '${run.view}'` : null;
  if (other) {
    const what = input.view ? `a run of ${target} (or a dataset build that has its features)` : `a dataset build of ${target} (--from-dataset its manifest)`;
    throw new InputError(`run ${run.id} is a run of ${other}, not of ${target}: pin ${what}`, { run_id: run.id }, 'baseline_wrong_target');
  }
  const selections = input.view ? [{ view: set.views.get(input.view)!, features: set.views.get(input.view)!.features }] : resolveFeatureRefs(set, serviceRefs(set.services.get(input.service!)!));
  const wanted = new Set(selections.flatMap((s) => s.features.flatMap((f) => [f.name, `${s.view.name}__${f.name}`])));
  if (!profiles.some((p) => !p.slice && wanted.has(p.column))) {
    throw new InputError(
      `run ${run.id} has no profile of any feature of ${target} (it profiled ${profiles.filter((p) => !p.slice).map((p) => p.column).slice(0, 8).join(', ')}): its drift would compare nothing`,
      { run_id: run.id },
      'baseline_wrong_target',
    );
  }
}

type Row = { name: string; view: string | null; service: string | null; run_id: string | null; source: string; pinned_at: string; profiles?: string; n?: number };

function toBaseline(r: Row): Baseline {
  const columns = r.profiles ? (JSON.parse(r.profiles) as StoredProfile[]).filter((p) => !p.slice).length : (r.n ?? 0);
  return { name: r.name, view: r.view, service: r.service, run_id: r.run_id, source: r.source, pinned_at: r.pinned_at, columns };
}

/** Every baseline, newest first (optionally of one view or service). */
export function listBaselines(project: Project, filter: { view?: string; service?: string } = {}): Baseline[] {
  const rows = db(project)
    .prepare(
      // Columns, not slice profiles (as pin counts them).
      `SELECT name, view, service, run_id, source, pinned_at,
       (SELECT count(*) FROM json_each(profiles) WHERE coalesce(json_extract(value, '$.slice'), '') = '') AS n FROM baselines
       WHERE (? IS NULL OR view = ?) AND (? IS NULL OR service = ?) ORDER BY pinned_at DESC, name`,
    )
    .all(filter.view ?? null, filter.view ?? null, filter.service ?? null, filter.service ?? null) as Row[];
  return rows.map(toBaseline);
}

/** A baseline with its stored profiles, or null. */
export function getBaseline(project: Project, name: string): (Baseline & { profiles: StoredProfile[] }) | null {
  const r = db(project).prepare('SELECT * FROM baselines WHERE name = ?').get(name) as Row | undefined;
  return r ? { ...toBaseline(r), profiles: JSON.parse(r.profiles!) as StoredProfile[] } : null;
}

/** The newest baseline pinned for a view or a service, or null. */
export function pinnedBaselineFor(project: Project, target: { view?: string; service?: string }): (Baseline & { profiles: StoredProfile[] }) | null {
  const d = db(project);
  const r = (target.view
    ? d.prepare('SELECT name FROM baselines WHERE view = ? ORDER BY pinned_at DESC LIMIT 1').get(target.view)
    : target.service
      ? d.prepare('SELECT name FROM baselines WHERE service = ? ORDER BY pinned_at DESC LIMIT 1').get(target.service)
      : undefined) as { name: string } | undefined;
  return r ? getBaseline(project, r.name) : null;
}

/**
 * Remove a baseline: the removed one, or null when there was none. Refused (`baseline_in_use`) while
 * `drift.reference: baseline:<name>` names it, unless `force`: their drift checks would error on every run.
 */
export function unpinBaseline(project: Project, name: string, opts: { force?: boolean } = {}): Baseline | null {
  const b = getBaseline(project, name);
  if (!b) return null;
  const namedBy = targetsNamingBaseline(project, name);
  if (namedBy.length > 0 && !opts.force) {
    const names = namedBy.slice(0, 5).map(targetLabel).join(', ') + (namedBy.length > 5 ? ` and ${namedBy.length - 5} more` : '');
    throw new InputError(
      `drift.reference of ${names} names baseline '${name}': unpinned, their drift checks would error on every run ("configured drift reference baseline '${name}' is not pinned"); set drift.reference to previous (or another baseline) first, or unpin with --force`,
      { name, named_by: namedBy },
      'baseline_in_use',
    );
  }
  db(project).prepare('DELETE FROM baselines WHERE name = ?').run(name);
  const { profiles: _profiles, ...removed } = b;
  return removed;
}
