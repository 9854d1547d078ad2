/**
 * `dropOnlineValues`: drop one view's online values on the configured store, on request (`featureguard online
 * drop VIEW`, `store.dropOnlineValues(view)`), to rebuild them: after a Redis that lost the view's `{meta}` keys
 * (its session counter, a master restarted without persistence) answers `online_store_inconsistent`, or to start
 * a view's values afresh.
 *
 * The drop goes through the pending drops an apply records (`online-drops.ts`): requested first, so that reads
 * answer NOT_FOUND for the view at once, then done under the view's materialization lease (every entity key on
 * every master, and the view's session keys: counter-behind records gone, its pending and exclusive sessions
 * reset), its materialized windows forgotten so the next `materialize --incremental` reads the ttl window again
 * (a ttl-0 view: from the source's earliest row). A materialization holding the lease is deferred to, as for an
 * apply: it writes nothing, or drops what it wrote, and its run fails saying so; a push writing the view drops
 * when it ends.
 *
 * @example
 * const r = await dropOnlineValues(project, 'origin_delays');
 * if (r.outcome === 'dropped') console.log(r.rebuild); // featureguard materialize --incremental --views driver_stats
 */
import { getView } from '../definitions/definition-set.js';
import { storedDuration } from '../definitions/ttl.js';
import type { FeatureViewDef } from '../definitions/types.js';
import { FeatureguardError, InputError } from '../errors.js';
import { rawViewRelationSql } from '../guards/raw-relation.js';
import { listIntervals } from '../materialize/intervals.js';
import type { Project } from '../project.js';
import { dropUnlessMaterializing, requestDropsWhenFree } from '../registry/online-drops.js';
import type { DropOnlineValuesResult } from './drop-view-types.js';

export type { DropOnlineValuesResult } from './drop-view-types.js';

/**
 * Drop `view`'s online values (see the module comment). An unknown view is `unknown_view`, one that is not online
 * `view_not_online` (an apply dropped its values already); a store that fails is `online_drop_failed` (503, exit
 * 3), the drop left pending (reads answer NOT_FOUND until it is done).
 */
export async function dropOnlineValues(project: Project, view: string, options: { waitMs?: number } = {}): Promise<DropOnlineValuesResult> {
  if (typeof view !== 'string' || view === '') throw new InputError('name the feature view whose online values to drop', undefined, 'invalid_request');
  const def = getView(project.registry.current(), view);
  if (!def.online) {
    throw new InputError(`feature view '${view}' is not online: it has no online values to drop (an apply that set online: false dropped them)`, { view }, 'view_not_online');
  }
  const store = await project.onlineStore();
  const before = listIntervals(project.state, view, Number.MAX_SAFE_INTEGER).length;
  await requestDropsWhenFree(project.state, [view]);
  let outcome: DropOnlineValuesResult['outcome'];
  try {
    outcome = await dropUnlessMaterializing(project, view, options.waitMs);
  } catch (e) {
    throw new FeatureguardError(
      'online_drop_failed',
      `could not drop the online values of '${view}': ${(e as Error).message}; the drop stays pending (reads of the view answer NOT_FOUND until it is done): run \`featureguard online drop ${view} --yes\` again once the store answers`,
      { status: 503, exitCode: 3, cause: e, details: { view } },
    );
  }
  const intervalsForgotten = outcome === 'dropped' ? before - listIntervals(project.state, view, Number.MAX_SAFE_INTEGER).length : 0;
  const earliest = storedDuration(def.ttl) === 0 ? await earliestRow(project, def).catch(() => null) : null;
  const rebuild = earliest === null ? `featureguard materialize --incremental --views ${view}` : `featureguard materialize --start ${earliest.toISOString()} --views ${view}`;
  return { view, store: store.type, outcome, intervalsForgotten, rebuild };
}

/** The earliest event time of the view's source (null: no rows); a source that cannot be read now throws. */
async function earliestRow(project: Project, view: FeatureViewDef): Promise<Date | null> {
  const conn = await (await project.engine()).connect();
  try {
    const rel = await rawViewRelationSql(project, view, conn);
    const v = (await conn.runAndReadAll(`SELECT epoch_ms(min(event_timestamp)) FROM (${rel.select})`)).getRowsJS()[0]?.[0];
    return v === null || v === undefined ? null : new Date(Number(v));
  } finally {
    conn.closeSync();
  }
}
