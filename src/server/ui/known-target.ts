/**
 * Whether a view or service name given to a page names anything: a name defined in the registry now, or one a
 * recorded run names (a view dropped since keeps its runs, and its runs stay a thing to look at). The runs page
 * and the history page use it to say so, instead of an empty page that reads as "no runs yet". The check is the
 * CLI's and the API's (`unknownRunTarget`); only the sentence is the pages' own.
 */
import type { Project } from '../../project.js';
import { closest, didYouMean } from '../../definitions/suggest.js';
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
 * dropped since keeps its history); else why not, with the nearest such feature: a misspelt feature's history was a
 * page of dashes that read as "no values yet", and a misspelt dropped one was a 404 that suggested nothing.
 */
export function unknownFeature(project: Project, view: string, feature: string): string | null {
  const features = project.registry.current().views.get(view)?.features.map((f) => f.name) ?? [];
  if (features.includes(feature)) return null;
  if (recordedFeature(project, view, feature)) return null;
  return `no feature '${feature}' in view ${view} is defined or named by a recorded check${didYouMean(feature, [...features, ...nearestRecorded(project, view, feature, features)])}`;
}

/** Whether a recorded check of the view's runs names `feature`. */
function recordedFeature(project: Project, view: string, feature: string): boolean {
  return project.state.prepare('SELECT 1 FROM check_results cr JOIN runs r ON r.id = cr.run_id WHERE cr.feature = ? AND r.view = ? LIMIT 1').get(feature, view) !== undefined;
}

/** At most this many distinct recorded feature names are read for a suggestion (every view's, one index step each). */
const RECORDED_NAMES_READ = 10_000;

/**
 * The recorded feature nearest to `feature` that a check of the view's runs names and the registry no longer defines,
 * as a list of none or one. The log's distinct feature names are read by the feature index, one step per name (not
 * every result of the view: a view fed by pushes has millions), and only the near ones are looked up for the view.
 */
function nearestRecorded(project: Project, view: string, feature: string, current: readonly string[]): string[] {
  const names = project.state
    .prepare(
      `WITH RECURSIVE f(name, n) AS (
         SELECT (SELECT min(feature) FROM check_results WHERE feature IS NOT NULL), 1
         UNION ALL SELECT (SELECT min(feature) FROM check_results WHERE feature > f.name), n + 1 FROM f WHERE f.name IS NOT NULL AND n < @max)
       SELECT name FROM f WHERE name IS NOT NULL`,
    )
    .pluck()
    .all({ max: RECORDED_NAMES_READ }) as string[];
  const pool = new Set(names);
  for (const c of current) pool.delete(c);
  // The nearest of another view's features is passed over for the next nearest, a few times.
  for (let i = 0; i < 5; i++) {
    const near = closest(feature, pool);
    if (near === undefined) return [];
    if (recordedFeature(project, view, near)) return [near];
    pool.delete(near);
  }
  return [];
}
