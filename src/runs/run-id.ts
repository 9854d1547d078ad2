/**
 * A run named as people give it: its whole id, or its first 8 characters or more (`20659718`, or `20659718-…` as
 * tables cut ids). One resolver for the CLI (`runs show`, `alerts redeliver --run`, …), the review pages and the SDK
 * (`redeliverAlerts({ runId })`).
 */
import { InputError, NotFoundError } from '../errors.js';
import type { Project } from '../project.js';
import { runIdsStartingWith } from './run-store.js';

/** How many leading characters of a run id are enough to name it (the first group of a UUID). */
export const RUN_ID_PREFIX = 8;

/** A run id whole, as the run store makes them (a UUID). */
const FULL_RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The id of the run `given` names: its id, or a unique prefix of it of at least 8 hex characters. An unknown one
 * is a `NotFoundError`; an ambiguous prefix an `InputError` (`ambiguous_run_id`) that lists the runs it starts.
 *
 * @example
 * resolveRunId(project, '20659718'); // '20659718-3f1c-4c5e-9a4e-0b8d2f6a7c11'
 */
export function resolveRunId(project: Pick<Project, 'state' | 'runs'>, given: string): string {
  if (typeof given !== 'string') throw new InputError(`a run id is a string (got ${given === null ? 'null' : typeof given})`, { id: given });
  const prefix = given.trim().toLowerCase().replace(/(…|\.\.\.)$/, '');
  if (!new RegExp(`^[0-9a-f]{${RUN_ID_PREFIX}}[0-9a-f-]*$`).test(prefix)) {
    throw new NotFoundError(`no run with id '${given}': give a run id as runs list prints it, or its first ${RUN_ID_PREFIX} characters or more`, { id: given });
  }
  const ids = runIdsStartingWith(project.state, prefix, 11);
  if (ids.includes(prefix)) return prefix;
  if (ids.length === 1) return ids[0];
  if (ids.length === 0) {
    // A whole id (a UUID) is no prefix: "no run whose id starts with" it read as if it had been cut.
    const what = FULL_RUN_ID.test(prefix) ? `no run with id '${prefix}'` : `no run whose id starts with '${prefix}'`;
    throw new NotFoundError(`${what} (see featureguard runs list)`, { id: given });
  }
  const shown = ids.slice(0, 10).map((id) => {
    const r = project.runs.get(id);
    return `${id} (${r.kind} ${r.view ?? (r.service ? `service:${r.service}` : '-')}, started ${r.started_at})`;
  });
  throw new InputError(
    `run id prefix '${prefix}' is ambiguous: ${ids.length > 10 ? 'more than 10' : ids.length} runs start with it; give more of the id:\n  ${shown.join('\n  ')}`,
    { id: given, candidates: ids.slice(0, 10) },
    'ambiguous_run_id',
  );
}
