/**
 * The locks a compaction holds while it merges a folder: the materialization lease of every view reading the
 * files, and the folder's own `compact:<folder>` lease (`folderLeaseKey`), all or none; and the refusal to merge
 * files a running `check --view` is reading (a check takes no lease).
 *
 * @example
 * const leases = await takeLeases(project, ['origin_delays'], ['/data/pushes'], groups);
 * try { refuseRunningChecks(project.state, ['origin_delays'], () => ['/data/pushes']); } finally { for (const l of leases) await l.release(); }
 */
import { randomUUID } from 'node:crypto';
import { ConflictError } from '../errors.js';
import { acquireLeasesWhenFree, type Lease } from '../materialize/lease.js';
import type { Project } from '../project.js';
import { runningRunIds } from '../runs/run-store.js';
import type { StateDb } from '../state/state-db.js';
import type { CompactionGroup } from './push-compact-plan.js';
import { folderLeaseKey } from './push-compact-journal.js';

/**
 * The leases of `views` and of `folders` (`folderLeaseKey`), all or none; a held one is a `ConflictError` naming the
 * folders being compacted.
 */
export async function takeLeases(project: Project, views: readonly string[], folders: readonly string[], groups: readonly CompactionGroup[]): Promise<Lease[]> {
  const keys = [...views, ...folders.map(folderLeaseKey)];
  if (keys.length === 0) return [];
  try {
    return await acquireLeasesWhenFree(project.state, keys, `compact-${process.pid}-${randomUUID().slice(0, 8)}`, {
      onFailedRuns: () => void import('../alerts/dispatch.js').then((d) => d.sendDueAlerts(project)).catch(() => undefined),
    });
  } catch (e) {
    if (!(e instanceof ConflictError)) throw e;
    const held = (e.details as { view?: string } | undefined)?.view;
    if (held?.startsWith('compact:')) {
      throw new ConflictError(`cannot compact the pushed files in ${held.slice('compact:'.length)} now: another compaction is merging them (${e.message.replace(/^.*\((pid [^)]*)\).*$/, '$1')}); try again in a moment`, { ...(e.details as Record<string, unknown>), folders: [held.slice('compact:'.length)] }, 'compaction_running');
    }
    const locked = [...new Set(groups.filter((g) => g.reason === null && g.views.some((v) => views.includes(v))).map((g) => g.folder))];
    throw new ConflictError(
      `cannot compact the pushed files in ${locked.join(', ')} now: ${e.message}; a compaction holds the materialization lease of every view reading the files it merges`,
      { ...(e.details as Record<string, unknown>), folders: locked },
      e.code,
    );
  }
}

/**
 * A check of a view reading the files (`check --view`: a running run of kind `check`) reads them without a lease:
 * with the leases held, one running is a `ConflictError` (`check_running`, naming it) before anything is changed,
 * and one starting later sees the leases and refuses itself (`guards/check-run.ts`), so the files a check listed
 * are never merged away under it. `foldersOf`: the folders of a view being merged.
 */
export function refuseRunningChecks(db: StateDb, views: readonly string[], foldersOf: (view: string) => string[]): void {
  for (const view of views) {
    const runIds = runningRunIds(db, 'check', view);
    if (runIds.length === 0) continue;
    const folders = foldersOf(view);
    throw new ConflictError(
      `cannot compact the pushed files in ${folders.join(', ')} now: a check of feature view '${view}' is reading them (run ${runIds.join(', ')}); try again when it has finished`,
      { view, run_id: runIds[0], run_ids: runIds, folders },
      'check_running',
    );
  }
}
