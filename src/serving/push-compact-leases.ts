/**
 * The locks a compaction holds while it merges a folder: the materialization lease of every view reading the
 * files, and the folder's own `compact:<folder>` lease (`folderLeaseKey`), all or none; and the refusal to merge
 * files a running `check --view` is reading (a check takes no lease), whose process is alive: a killed check's run,
 * `running` until something fails it, reads nothing.
 *
 * @example
 * const leases = await takeLeases(project, ['origin_delays'], ['/data/pushes'], groups);
 * try { refuseRunningChecks(project.state, ['origin_delays'], () => ['/data/pushes']); } finally { for (const l of leases) await l.release(); }
 */
import { randomUUID } from 'node:crypto';
import { ConflictError } from '../errors.js';
import { acquireLeasesWhenFree, type Lease } from '../materialize/lease.js';
import type { Project } from '../project.js';
import { failOrphanedRunsWhenFree, orphanedRunIds, runningRunIds } from '../runs/run-store.js';
import type { StateDb } from '../state/state-db.js';
import type { CompactionGroup } from './push-compact-plan.js';
import { folderLeaseKey } from './push-compact-journal.js';

/**
 * The leases of `views` and of `folders` (`folderLeaseKey`), all or none; a held one is a `ConflictError` naming the
 * folders being compacted. With them held, the check runs of `views` that a killed process left `running` are
 * failed (`failOrphanedRunsWhenFree`, their alerts sent), as a CLI command's start would: a long-running SDK
 * process or server compacting sees them failed, not running.
 */
export async function takeLeases(project: Project, views: readonly string[], folders: readonly string[], groups: readonly CompactionGroup[]): Promise<Lease[]> {
  const keys = [...views, ...folders.map(folderLeaseKey)];
  if (keys.length === 0) return [];
  const sendAlerts = () => void import('../alerts/dispatch.js').then((d) => d.sendDueAlerts(project)).catch(() => undefined);
  let leases: Lease[];
  try {
    leases = await acquireLeasesWhenFree(project.state, keys, `compact-${process.pid}-${randomUUID().slice(0, 8)}`, { onFailedRuns: sendAlerts });
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
  try {
    if (views.some((v) => runningChecks(project.state, v).dead.length > 0) && (await failOrphanedRunsWhenFree(project.state)).length > 0) sendAlerts();
  } catch {
    // housekeeping: a run left unfailed here is failed by the next CLI command, store opening or sweep
  }
  return leases;
}

/**
 * The running check runs of `view` (`check --view`), oldest first, split by whether their process is alive: a run
 * whose process was killed stays `running` until something fails it (a CLI command's or an SDK store's opening,
 * serve's sweep, `takeLeases`), but reads nothing. Reads only (a dry run asks too).
 */
export function runningChecks(db: StateDb, view: string): { live: string[]; dead: string[] } {
  const ids = runningRunIds(db, 'check', view);
  if (ids.length === 0) return { live: [], dead: [] };
  const orphans = new Set(orphanedRunIds(db));
  return { live: ids.filter((id) => !orphans.has(id)), dead: ids.filter((id) => orphans.has(id)) };
}

/**
 * Why a compaction of files `view` reads would be refused now (`refuseRunningChecks`): a live check of it reading
 * them; null when none is. For a dry run, which takes no lease.
 */
export function runningCheckReason(db: StateDb, view: string): string | null {
  const { live } = runningChecks(db, view);
  return live.length === 0 ? null : `a check of feature view '${view}' is reading these files now (run ${live.join(', ')}): compacting them now is refused (check_running) until it has finished`;
}

/**
 * A check of a view reading the files (`check --view`: a running run of kind `check` whose process is alive) reads
 * them without a lease: with the leases held, one running is a `ConflictError` (`check_running`, naming it) before
 * anything is changed, and one starting later sees the leases and refuses itself (`guards/check-run.ts`), so the
 * files a check listed are never merged away under it. A killed check's run (`runningChecks`) refuses nothing.
 * `foldersOf`: the folders of a view being merged.
 */
export function refuseRunningChecks(db: StateDb, views: readonly string[], foldersOf: (view: string) => string[]): void {
  for (const view of views) {
    const runIds = runningChecks(db, view).live;
    if (runIds.length === 0) continue;
    const folders = foldersOf(view);
    throw new ConflictError(
      `cannot compact the pushed files in ${folders.join(', ')} now: a check of feature view '${view}' is reading them (run ${runIds.join(', ')}); try again when it has finished`,
      { view, run_id: runIds[0], run_ids: runIds, folders },
      'check_running',
    );
  }
}
