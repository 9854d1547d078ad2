/**
 * The view or service a quality-log filter names, checked when it matched no run: `runs list --view`, `store.runs.list` and
 * `GET /v1/runs?view=` refuse a name that is neither defined nor named by any recorded run (a typo listed "no
 * runs" as if the view had none). A dropped view or service whose runs are kept is still a name to filter on.
 *
 * @example
 * const list = project.runs.list(filter);
 * if (list.total === 0) refuseUnknownRunTarget(project, filter); // InputError unknown_view: … did you mean 'airport_hourly'?
 */
import { didYouMean } from '../definitions/suggest.js';
import { InputError } from '../errors.js';
import type { Project } from '../project.js';

/**
 * The reason clause of the refusal, after the name: the CLI's not-applied hint (`cli/unapplied-hint.ts`) replaces
 * its "not defined" claim, keeping `NO_RUNS`.
 */
export const NOT_DEFINED = 'it is not defined';
export const NO_RUNS = 'no run was recorded for it';

/**
 * `null` when `name` is a view (service) defined now or named by a recorded run; else the defined names and the
 * did-you-mean suffix for it (`" (did you mean 'airport_hourly'?)"`). The CLI, the API, the SDK and the review pages ask it.
 */
export function unknownRunTarget(project: Pick<Project, 'registry' | 'runs'>, kind: 'view' | 'service', name: string): { known: string[]; suggestion: string } | null {
  const set = project.registry.current();
  const defined = kind === 'view' ? set.views : set.services;
  if (defined.has(name) || project.runs.list({ [kind]: name, limit: 1 }).total > 0) return null;
  return { known: [...defined.keys()], suggestion: didYouMean(name, defined.keys()) };
}

export function refuseUnknownRunTarget(project: Pick<Project, 'registry' | 'runs'>, filter: { view?: string; service?: string }): void {
  for (const kind of ['view', 'service'] as const) {
    const name = filter[kind];
    if (name === undefined) continue;
    const unknown = unknownRunTarget(project, kind, name);
    if (unknown === null) continue;
    throw new InputError(`unknown feature ${kind} '${name}'${unknown.suggestion}: ${NOT_DEFINED} and ${NO_RUNS}`, { [kind]: name, known: unknown.known }, `unknown_${kind}`);
  }
}
