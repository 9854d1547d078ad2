/**
 * Whether a view or service name given to a page names anything: a name defined in the registry now, or one a
 * recorded run names (a view dropped since keeps its runs, and its runs stay a thing to look at). The runs page
 * and the history page use it to say so, instead of an empty page that reads as "no runs yet". The check is the
 * CLI's and the API's (`unknownRunTarget`); only the sentence is the pages' own.
 */
import type { Project } from '../../project.js';
import { unknownRunTarget } from '../../runs/run-targets.js';

export type TargetKind = 'view' | 'service';

/**
 * `null` when `name` is a known view (service), else why not, with the nearest defined name:
 * `no feature view 'Consts' is defined or named by a recorded run (did you mean 'consts'?)`.
 */
export function unknownTarget(project: Project, kind: TargetKind, name: string): string | null {
  const unknown = unknownRunTarget(project, kind, name);
  return unknown === null ? null : `no feature ${kind} '${name}' is defined or named by a recorded run${unknown.suggestion}`;
}
