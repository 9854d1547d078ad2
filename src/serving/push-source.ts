/**
 * Feast's push by source: `push_source_name` names a source, and Feast writes the
 * rows to every feature view reading it. `viewsForPushSource` finds the views;
 * `pushToViews` pushes to each online view in name order, one `push` run per view.
 *
 * Every view's rows are checked first, so rows that do not fit one view write
 * nothing anywhere. Each view's guards then judge its own rows: a view they block
 * keeps its online values, the others are written (each run says which). A retry
 * is harmless: online writes never replace a value with one that is not newer.
 *
 * Only online: a file appended to the shared source must hold every view's
 * columns, and a push writes the columns of one view. `to: offline` or `both` for
 * several views is refused, saying so.
 *
 * @example
 * const views = viewsForPushSource(project, 'driver_stats_push');
 * const result = await pushToViews(project, views, { rows, to: 'online' });
 */
import { FeatureguardError, InputError } from '../errors.js';
import type { Project } from '../project.js';
import type { RunStatus } from '../runs/types.js';
import { checkPushRows, push, type PushOptions } from './push.js';
import type { PushRequest, PushResult } from './push-types.js';

/** The views a push source name means: a view of that name (featureguard's own use), else every view reading a source of that name. */
export function viewsForPushSource(project: Project, name: string): string[] {
  const set = project.registry.current();
  if (set.views.has(name)) return [name];
  const readers = [...set.views.values()].filter((v) => v.source === name).map((v) => v.name).sort();
  if (readers.length > 0) return readers;
  throw new InputError(`no feature view or source named '${name}'`, { known: [...set.views.keys()] }, 'unknown_view');
}

/** The answer of a push to several views: each online view's push, and the worst status among them. */
export interface ViewsPushResult {
  readonly status: RunStatus;
  readonly to: 'online';
  readonly rows: number;
  readonly views: readonly PushResult[];
}

const WORST: readonly RunStatus[] = ['success', 'warned', 'blocked'];

/** Push the same rows online to several views (see the module comment). */
export async function pushToViews(
  project: Project,
  names: readonly string[],
  request: Omit<PushRequest, 'view'>,
  options: PushOptions = {},
): Promise<ViewsPushResult> {
  if (request.to !== undefined && request.to !== 'online') {
    throw new InputError(
      `views ${names.map((n) => `'${n}'`).join(', ')} read this source: a push to several views goes online only (to: online), since a file appended to the source would need every view's columns; append such rows to the source's files yourself`,
      { views: names, to: request.to },
      'push_offline_to_several_views',
    );
  }
  const set = project.registry.current();
  const online = names.filter((n) => set.views.get(n)?.online === true);
  if (online.length === 0) {
    throw new InputError(`none of the feature views ${names.map((n) => `'${n}'`).join(', ')} is an online view, so the rows cannot be written online`, { views: names }, 'view_not_online');
  }
  await checkPushRows(project, online, { ...request, to: 'online' }, options);
  const results: PushResult[] = [];
  for (const view of online) {
    try {
      results.push(await push(project, { ...request, view, to: 'online' }, options));
    } catch (e) {
      throw results.length > 0 && e instanceof FeatureguardError ? afterWrites(e, view, results) : e;
    }
  }
  const status = results.reduce<RunStatus>((worst, r) => (WORST.indexOf(r.status) > WORST.indexOf(worst) ? r.status : worst), 'success');
  return { status, to: 'online', rows: results[0].rows, views: results };
}

/** A push to one view that failed after earlier views' pushes: the error says what those wrote (a retry is harmless). */
function afterWrites(e: FeatureguardError, view: string, earlier: readonly PushResult[]): FeatureguardError {
  const written = earlier.filter((r) => r.status !== 'blocked').map((r) => `'${r.view}'`);
  const said = written.length > 0 ? `; before it, the rows were written for ${written.join(', ')}` : '';
  const details = e.details !== null && typeof e.details === 'object' && !Array.isArray(e.details) ? e.details : {};
  return new FeatureguardError(e.code, `view '${view}': ${e.message}${said}`, { status: e.status, exitCode: e.exitCode, details: { ...details, views: earlier, failed_view: view }, cause: e });
}
