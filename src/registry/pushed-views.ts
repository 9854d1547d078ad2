/**
 * The note a plan carries for views whose online values it drops (removed, taken offline, changed in a breaking
 * way) that were fed by push: their pushed online values
 * come from no source, so no materialization brings them back. The plan itself is pure over definitions (the
 * registry computes it in its transaction); the callers that print or answer one (CLI, SDK, HTTP) add this note
 * from the quality log, one indexed query (`runs_view_kind`) per view that loses its online values.
 */
import type { StateDb } from '../state/state-db.js';
import type { Plan } from './types.js';

/** Has `view` a push that wrote online (`online` or `both`, success or warned) in the quality log? */
function pushedOnline(db: StateDb, view: string): boolean {
  try {
    const row = db
      .prepare(`SELECT 1 FROM runs WHERE view = ? AND kind = 'push' AND status IN ('success', 'warned') AND coalesce(json_extract(options, '$.to'), 'online') != 'offline' LIMIT 1`)
      .get(view);
    return row !== undefined;
  } catch (e) {
    // A state database whose quality log was never opened: no pushes.
    if (/no such table/.test((e as Error).message)) return false;
    throw e;
  }
}

/** The note for the views whose online values `plan` drops (removed, taken offline, changed) that were fed by push, or none. */
export function pushedDropNote(db: StateDb, plan: Plan): string | undefined {
  // Every drop loses the pushed values: a removal, a view taken offline, a breaking change (a retype, new keys).
  const pushed = plan.drops.filter((v) => pushedOnline(db, v));
  if (pushed.length === 0) return undefined;
  const many = pushed.length > 1;
  return `${pushed.join(', ')} ${many ? 'were' : 'was'} fed by push: ${many ? 'their' : 'its'} pushed online values cannot be re-materialized from ${many ? 'their sources' : 'its source'} (only the offline push files, if ${many ? 'they' : 'it'} wrote them, keep them).`;
}

/**
 * `plan` with the note on pushed views it drops added to its `notes` (the plan itself when there is none).
 *
 * @example
 * const plan = withPushedDropNote(project.state, project.registry.plan(defs));
 */
export function withPushedDropNote<P extends Plan>(db: StateDb, plan: P): P {
  const note = pushedDropNote(db, plan);
  return note === undefined ? plan : { ...plan, notes: [...plan.notes, note] };
}
