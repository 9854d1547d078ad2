/**
 * Finding the drift reference: `baseline:<name>` when configured, else the
 * newest baseline pinned for the view or service, else the last successful run
 * (materializations for views, dataset builds for services). Profiles come from
 * the state database: a later run never re-reads old data.
 */
import { resolveFeatureRefs } from '../definitions/definition-set.js';
import type { Project } from '../project.js';
import type { RunKind } from '../runs/types.js';
import { getBaseline, pinnedBaselineFor } from './baselines.js';
import type { ColumnProfile, ReferenceProfiles } from './profile-types.js';

type StoredProfile = { column: string; slice: string | null; profile: unknown };

export interface ReferenceQuery {
  view?: string;
  service?: string;
  kind: RunKind;
  /** The current run (never its own reference). */
  runId: string;
  /** `previous` or `baseline:<name>`. */
  setting: string;
}

/** The reference, or null with the reason (`problem` is set when a configured baseline is missing). */
export function findReference(project: Project, q: ReferenceQuery): { reference: ReferenceProfiles | null; problem: string | null; reason: string } {
  if (q.setting.startsWith('baseline:')) {
    const name = q.setting.slice('baseline:'.length);
    const b = getBaseline(project, name);
    if (!b) return { reference: null, problem: `configured drift reference baseline '${name}' is not pinned`, reason: 'missing baseline' };
    return { reference: fromStored(`baseline:${name}`, b.run_id, b.profiles, q.view), problem: null, reason: '' };
  }
  const pinned = pinnedBaselineFor(project, { view: q.view, service: q.view ? undefined : q.service }) ?? (q.view ? serviceBaselineForView(project, q.view) : null);
  if (pinned) return { reference: fromStored(`baseline:${pinned.name}`, pinned.run_id, pinned.profiles, q.view), problem: null, reason: '' };
  const prev = previousRun(project, q);
  if (!prev) return { reference: null, problem: null, reason: 'no earlier successful run and no pinned baseline' };
  return { reference: fromStored('previous', prev, project.runs.profiles(prev) as StoredProfile[], undefined), problem: null, reason: '' };
}

/**
 * Serving data vs training data: a view without its own baseline uses the newest
 * baseline pinned for a feature service that consumes it (its dataset columns
 * `feature` or `view__feature` map onto the view's features).
 */
function serviceBaselineForView(project: Project, view: string): ReturnType<typeof pinnedBaselineFor> {
  const set = project.registry.current();
  const services = [...set.services.values()].filter((s) => resolveFeatureRefs(set, s.features).some((sel) => sel.view.name === view));
  const found = services.map((s) => pinnedBaselineFor(project, { service: s.name })).filter((b) => b !== null);
  found.sort((a, b) => (a!.pinned_at < b!.pinned_at ? 1 : -1));
  return found[0] ?? null;
}

function previousRun(project: Project, q: ReferenceQuery): string | null {
  const [col, val, kind] = q.view ? ['view', q.view, 'materialize'] : q.service ? ['service', q.service, 'dataset'] : [null, null, null];
  if (!col) return null;
  const r = project.state
    .prepare(
      `SELECT id FROM runs WHERE ${col} = ? AND kind = ? AND status IN ('success', 'warned') AND id <> ?
       AND EXISTS (SELECT 1 FROM profiles p WHERE p.run_id = runs.id) ORDER BY started_at DESC, rowid DESC LIMIT 1`,
    )
    .get(val, kind, q.runId) as { id: string } | undefined;
  return r?.id ?? null;
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
