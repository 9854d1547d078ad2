/**
 * Feast's push by source: `push_source_name` names a source, and Feast writes the
 * rows to every feature view reading it. `viewsForPushSource` finds the views;
 * `pushToViews` pushes to each in name order, one `push` run per view.
 *
 * Every view's rows are checked first, so rows that do not fit one view write
 * nothing anywhere. Each view's guards then judge its own rows: a view they block
 * keeps its online values, the others are written (each run says which). The rows
 * go into the shared source's offline files once, with the first view's run, not
 * once per view (every view reads that source).
 *
 * @example
 * const views = viewsForPushSource(project, 'driver_stats_push');
 * const result = await pushToViews(project, views, { rows, to: 'online' });
 */
import type { FeatureViewDef } from '../definitions/types.js';
import { InputError } from '../errors.js';
import type { Project } from '../project.js';
import type { RunStatus } from '../runs/types.js';
import { checkPushRows, push, type PushOptions, type PushRequest, type PushResult, type PushTarget } from './push.js';

/** The views a push source name means: a view of that name (featureguard's own use), else every view reading a source of that name. */
export function viewsForPushSource(project: Project, name: string): string[] {
  const set = project.registry.current();
  if (set.views.has(name)) return [name];
  const readers = [...set.views.values()].filter((v) => v.source === name).map((v) => v.name).sort();
  if (readers.length > 0) return readers;
  throw new InputError(`no feature view or source named '${name}'`, { known: [...set.views.keys()] }, 'unknown_view');
}

/** The answer of a push to several views: each view's push, and the worst status among them. */
export interface ViewsPushResult {
  readonly status: RunStatus;
  readonly to: PushTarget;
  readonly rows: number;
  readonly views: readonly PushResult[];
}

const WORST: readonly RunStatus[] = ['success', 'warned', 'blocked'];

/** Each view's target: online views get the rows online; the first view carries the offline part, once. */
function targets(views: readonly FeatureViewDef[], to: PushTarget): { view: string; to: PushTarget }[] {
  const online = to !== 'offline';
  const offline = to !== 'online';
  const out: { view: string; to: PushTarget }[] = [];
  views.forEach((v, i) => {
    const here = online && v.online === true;
    const file = offline && i === 0;
    if (here || file) out.push({ view: v.name, to: here && file ? 'both' : here ? 'online' : 'offline' });
  });
  return out;
}

/** Push the same rows to several views (see the module comment). */
export async function pushToViews(
  project: Project,
  names: readonly string[],
  request: Omit<PushRequest, 'view'>,
  options: PushOptions = {},
): Promise<ViewsPushResult> {
  const to: PushTarget = request.to === 'online_and_offline' ? 'both' : (request.to ?? 'online');
  const set = project.registry.current();
  const views = names.map((n) => set.views.get(n)).filter((v): v is FeatureViewDef => v !== undefined);
  const plan = targets(views, to);
  if (plan.length === 0) {
    throw new InputError(`none of the feature views ${names.map((n) => `'${n}'`).join(', ')} is an online view, so the rows cannot be written online; push with to: offline`, { views: names, to }, 'view_not_online');
  }
  // Rows that do not fit one of the views: nothing is written anywhere. That view's push records the refusal.
  for (const p of plan) {
    try {
      checkPushRows(project, p.view, request.rows, request.ignoreUnknownColumns);
    } catch (e) {
      // That view's push records the refusal (a blocked run) and throws the same problems with its run id.
      throw await push(project, { ...request, view: p.view, to: p.to }, options).then(() => e, (recorded: unknown) => recorded);
    }
  }
  const results: PushResult[] = [];
  for (const p of plan) results.push(await push(project, { ...request, view: p.view, to: p.to }, options));
  const status = results.reduce<RunStatus>((worst, r) => (WORST.indexOf(r.status) > WORST.indexOf(worst) ? r.status : worst), 'success');
  return { status, to, rows: results[0].rows, views: results };
}
