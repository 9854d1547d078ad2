/**
 * Whether a view or service name given to a page names anything: a name defined in the registry now, or one a
 * recorded run names (a view dropped since keeps its runs, and its runs stay a thing to look at). The runs page
 * and the history page use it to say so, instead of an empty page that reads as "no runs yet". The check is the
 * CLI's and the API's (`unknownRunTarget`); only the sentence is the pages' own.
 */
import type { Project } from '../../project.js';
import { didYouMean } from '../../definitions/suggest.js';
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

/**
 * `null` when `feature` is a feature of `view` now, or one a recorded check of the view's runs names (a feature
 * dropped since keeps its history); else why not, with the nearest feature of the view: a misspelt feature's history
 * was a page of dashes that read as "no values yet".
 */
export function unknownFeature(project: Project, view: string, feature: string): string | null {
  const features = project.registry.current().views.get(view)?.features.map((f) => f.name) ?? [];
  if (features.includes(feature)) return null;
  const recorded = project.state
    .prepare('SELECT 1 FROM check_results cr JOIN runs r ON r.id = cr.run_id WHERE cr.feature = ? AND r.view = ? LIMIT 1')
    .get(feature, view);
  if (recorded) return null;
  return `no feature '${feature}' in view ${view} is defined or named by a recorded check${didYouMean(feature, features)}`;
}
