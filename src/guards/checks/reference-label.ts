/**
 * How check results name what they compared with (drift, outlier rate, null rate): which runs the reference is
 * (the previous materialization; the last one for a push or `check`; earlier pushes pooled; the previous dataset
 * build; `previous:<n>` pooled; a pinned baseline), with the short run id and its window, in the message and in
 * `details` (`reference_label`, `reference_run_kind`), so the reader knows what to look at.
 *
 * @example
 * const ref = referenceName(ctx, ctx.reference!); // { name: 'the last materialization', note: 'run 53dfc2db, 2024-01-10 to 2024-01-12', runKind: 'materialize' }
 * `${f} drifted from ${named(ref, 'psi 0.3 >= 0.25')}`; // "… from the last materialization (run 53dfc2db, 2024-01-10 to 2024-01-12; psi 0.3 >= 0.25)"
 */
import type { Run, RunKind } from '../../runs/types.js';
import type { CheckContext } from '../check.js';
import type { ReferenceProfiles } from '../profile-types.js';

export interface ReferenceName {
  /** `the previous materialization`, `the last 3 materializations`, `the previous 10 pushes`, `baseline 'train'`. */
  readonly name: string;
  /** `run 53dfc2db, 2024-01-10 to 2024-01-12`, `newest run …, windows … to …`, `pinned from run …`; null when unknown. */
  readonly note: string | null;
  /** Kind of the reference's runs (a baseline's: of the run it was pinned from), null when unknown. */
  readonly runKind: RunKind | null;
}

const NOUNS: Record<RunKind, readonly [string, string]> = {
  materialize: ['materialization', 'materializations'],
  push: ['push', 'pushes'],
  dataset: ['dataset build', 'dataset builds'],
  check: ['check', 'checks'],
  compact: ['compaction', 'compactions'],
};

const VERBS: Partial<Record<RunKind, string>> = { push: 'pushed', dataset: 'built' };

const short = (id: string) => id.slice(0, 8);

/** `2024-01-10` at midnight UTC, else `2024-01-10 14:30 UTC` (seconds when there are some). */
export function shortTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const s = d.toISOString();
  if (s.endsWith('T00:00:00.000Z')) return s.slice(0, 10);
  return `${s.slice(0, 10)} ${s.slice(11, s.slice(17, 23) === '00.000' ? 16 : 19)} UTC`;
}

function runsOf(ctx: Pick<CheckContext, 'project'>, ids: readonly string[]): Run[] {
  const out: Run[] = [];
  for (const id of ids) {
    try {
      // A unit test's context has no project; a pruned run is no longer there: the note then names the id alone.
      const run = ctx.project?.runs.get(id);
      if (run) out.push(run);
    } catch {
      // not found
    }
  }
  return out;
}

/** `2024-01-10 to 2024-01-12` for windows, else when the runs started (`pushed 2024-01-12 10:03 UTC`). */
function spanOf(runs: readonly Run[]): string | null {
  if (runs.length === 0) return null;
  const min = (xs: string[]) => xs.reduce((a, b) => (b < a ? b : a));
  const max = (xs: string[]) => xs.reduce((a, b) => (b > a ? b : a));
  if (runs.every((r) => r.window_start && r.window_end)) {
    const [from, to] = [min(runs.map((r) => new Date(r.window_start!).toISOString())), max(runs.map((r) => new Date(r.window_end!).toISOString()))];
    return `${runs.length > 1 ? 'windows ' : ''}${shortTime(from)} to ${shortTime(to)}`;
  }
  const started = runs.map((r) => r.started_at);
  const verb = VERBS[runs[0].kind] ?? 'started';
  return runs.length > 1 ? `${verb} ${shortTime(min(started))} to ${shortTime(max(started))}` : `${verb} ${shortTime(started[0])}`;
}

const cache = new WeakMap<ReferenceProfiles, ReferenceName>();

/** How the run's reference is named (looked up once per reference). */
export function referenceName(ctx: Pick<CheckContext, 'project' | 'kind'>, reference: ReferenceProfiles): ReferenceName {
  const known = cache.get(reference);
  if (known) return known;
  const { description } = reference;
  let out: ReferenceName;
  if (description.startsWith('baseline:')) {
    const [run] = reference.runId ? runsOf(ctx, [reference.runId]) : [];
    const span = run ? spanOf([run]) : null;
    out = {
      name: `baseline '${description.slice('baseline:'.length)}'`,
      note: reference.runId ? `pinned from run ${short(reference.runId)}${span ? `, ${span}` : ''}` : null,
      runKind: run?.kind ?? null,
    };
  } else {
    const ids = reference.runIds ?? (reference.runId ? [reference.runId] : []);
    const runs = runsOf(ctx, ids);
    // Without the runs (a unit test), what the reference query takes: pushes, or the view's materializations, or
    // the service's dataset builds.
    const runKind: RunKind = runs[0]?.kind ?? (reference.pushes ? 'push' : ctx.kind === 'dataset' ? 'dataset' : 'materialize');
    // A push or `check` of a materialized view is compared with its last materialization, which did not come before it
    // as a run of its own kind would.
    const adjective = !ctx.kind || ctx.kind === runKind ? 'previous' : 'last';
    const [one, many] = NOUNS[runKind];
    const span = spanOf(runs);
    const first = ids[0];
    const n = reference.runIds?.length ?? Number(/^previous:(\d+)$/.exec(description)?.[1] ?? 1);
    out = {
      name: n > 1 ? `the ${adjective} ${n} ${many}` : `the ${adjective} ${one}`,
      note: first ? `${n > 1 ? 'newest ' : ''}run ${short(first)}${span ? `, ${span}` : ''}` : null,
      runKind,
    };
  }
  cache.set(reference, out);
  return out;
}

/** The reference's name with its note and `extra` (a comparison) in one parenthesis. */
export function named(ref: Pick<ReferenceName, 'name' | 'note'>, extra?: string): string {
  const parts = [ref.note, extra].filter((p): p is string => !!p);
  return parts.length ? `${ref.name} (${parts.join('; ')})` : ref.name;
}

/** `details` naming the reference, as drift, outlier and null-rate results carry them. */
export function referenceDetails(ctx: Pick<CheckContext, 'project' | 'kind'>, reference: ReferenceProfiles): Record<string, unknown> {
  const ref = referenceName(ctx, reference);
  return {
    reference: reference.description === 'previous' ? `run:${reference.runId}` : reference.description,
    reference_run_id: reference.runId,
    ...(reference.runIds ? { reference_run_ids: reference.runIds } : {}),
    ...(reference.pushes ? { reference_kind: 'push' } : {}),
    ...(ref.runKind ? { reference_run_kind: ref.runKind } : {}),
    reference_label: named(ref),
  };
}
