/**
 * `compact`: merge the files offline pushes appended to a source's folder (one per push) into one file per folder,
 * so that reads of the source open one file instead of thousands. Only the files of finished, successful pushes
 * (`push-compact-plan.ts`), and only where the sources read exactly the same rows, of the same column types,
 * afterwards: the tamper check hashes them, and a changed type would read as an edit of history.
 *
 * While it merges a folder the compaction holds the materialization lease of every view reading those files, so
 * a materialization never reads the merged file beside the files it merges (every row twice). The merged file is
 * written under a hidden name, checked (the same columns, types, row count and row checksum as the files it
 * merges), renamed into place, and the files it merged are removed; each merged push's run records the file its
 * rows are in now (`options.compacted_into`). A compaction that stops midway (a kill) is finished by the next one,
 * from its journal under `.featureguard/compacting/`. Until then every read of a glob source leaves out the files a
 * pending journal lists as merged into a file it lists (`compactedAway` in `offline/source-sql.ts`): materialize,
 * check and dataset builds read each row once, whether or not a compaction died between the rename and the removal.
 * A compaction that merges something is a run of kind `compact` in the quality log (`push-compact-run.ts`).
 * The parts: the plan (`push-compact-plan.ts`), the leases (`push-compact-leases.ts`), one folder's merge
 * (`push-compact-merge.ts`), the journals (`push-compact-journal.ts`) and their recovery (`push-compact-recover.ts`).
 *
 * @example
 * const result = await compactPushedFiles(project, { olderThan: '10m' });
 * for (const g of result.groups) console.log(g.folder, g.status, g.files.length);
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { existsSync } from 'node:fs';
import { InputError, isFeatureguardError } from '../errors.js';
import { getView } from '../definitions/definition-set.js';
import { parseDuration } from '../definitions/ttl.js';
import type { DefinitionSet } from '../definitions/types.js';
import type { Project } from '../project.js';
import { planCompaction, pushedFiles, pushFolders, type CompactionGroup, type PushedFile } from './push-compact-plan.js';
import { folderLeaseKey, pendingCompactions } from './push-compact-journal.js';
import type { CompactOptions, CompactResult, CompactedGroup } from './push-compact-types.js';
import { refuseRunningChecks, runningCheckReason, takeLeases } from './push-compact-leases.js';
import { mergeGroup } from './push-compact-merge.js';
import { recoverJournals, sweepKilledWrites } from './push-compact-recover.js';
import { compactionRun, type CompactionRun, type MergedFilePrint } from './push-compact-run.js';

/** The time before which a push must have finished: `now` less `olderThan` (a duration). */
function cutoffOf(olderThan: string | undefined, now: Date): string {
  let ms: number;
  try {
    ms = parseDuration(olderThan ?? '0');
  } catch (e) {
    throw new InputError(`invalid olderThan '${olderThan}': ${(e as Error).message.replace(/^invalid duration '[^']*': /, '')}`, { olderThan }, 'bad_request');
  }
  return new Date(now.getTime() - ms).toISOString();
}

/**
 * Merge the pushed files (see the module comment). Lease conflicts (a materialization of a view reading a folder
 * running) are a `ConflictError` before anything is merged; a folder whose files cannot be merged without changing
 * what a source reads is a `skipped` group saying why.
 */
export async function compactPushedFiles(project: Project, options: CompactOptions = {}): Promise<CompactResult> {
  const set = project.registry.current();
  for (const v of options.views ?? []) getView(set, v);
  const cutoff = cutoffOf(options.olderThan, new Date());
  const conn = await (await project.engine()).connect();
  try {
    if (options.dryRun) {
      const pending = pendingCompactions(project);
      // The files a journal merged into a file now in place: the next compaction removes them first (that file
      // holds their rows, and is merged with later pushes), so they are not planned again.
      const away = new Set(pending.filter((j) => existsSync(j.file)).flatMap((j) => j.merged));
      const files = pushedFiles(project.state, project, set, cutoff).filter((f) => !away.has(f.file));
      const groups = await planCompaction(project, set, conn, files, options.views);
      // A planned group a live check reads now: the compaction would refuse (check_running), and the dry run says so.
      const planned = (g: CompactionGroup) => ({ ...groupOutcome(g, 'planned'), reason: g.views.map((v) => runningCheckReason(project.state, v)).find((r) => r !== null) ?? null });
      return { ...compactResultOf(true, groups.map((g) => (g.reason === null ? planned(g) : groupOutcome(g, 'skipped'))), 0), pending };
    }
    const run = compactionRun(project, options);
    try {
      const result = await compactUnderLeases(project, conn, cutoff, options, run);
      return { ...result, run_id: (await run.finish())?.id ?? null };
    } catch (e) {
      await run.finish(e).catch(() => undefined);
      throw e;
    }
  } finally {
    conn.closeSync();
  }
}

/** Finish the journals left, then plan and merge under the leases (see `compactPushedFiles`), recording it in `run`. */
async function compactUnderLeases(project: Project, conn: DuckDBConnection, cutoff: string, options: CompactOptions, run: CompactionRun): Promise<CompactResult> {
  const recovered = await recoverJournals(project, project.registry.current(), conn, run);
  // The views to lock come from the plan, and the plan is made again under the leases (another compaction may
  // have merged files meanwhile): planned with views outside the leases, try again.
  // The definitions are read again for each plan: an apply meanwhile may have added a view reading a folder.
  for (let attempt = 1; ; attempt++) {
    const first = await planCompaction(project, ...planInputs(project, project.registry.current(), conn, cutoff), options.views);
    const views = [...new Set(first.filter((g) => g.reason === null).flatMap((g) => g.views))].sort();
    const folders = [...new Set(first.filter((g) => g.reason === null).map((g) => g.folder))].sort();
    const leases = await takeLeases(project, views, folders, first);
    try {
      refuseRunningChecks(project.state, views, (v) => first.filter((g) => g.reason === null && g.views.includes(v)).map((g) => g.folder));
      // Under the folders' leases no other compaction writes there: a hidden merged file is a killed one's.
      const templates = pushFolders(project, project.registry.current());
      for (const folder of folders) sweepKilledWrites(folder, templates.get(folder) ?? []);
      const groups = await planCompaction(project, ...planInputs(project, project.registry.current(), conn, cutoff), options.views);
      const unlocked = (g: CompactionGroup) => !folders.includes(g.folder) || g.views.some((v) => !views.includes(v));
      if (groups.some((g) => g.reason === null && unlocked(g)) && attempt < 3) continue;
      const done: CompactedGroup[] = [];
      if (groups.some((g) => g.reason === null && !unlocked(g))) await run.begin();
      for (const g of groups) {
        if (g.reason !== null) done.push(groupOutcome(g, 'skipped'));
        else if (unlocked(g)) done.push({ ...groupOutcome(g, 'skipped'), reason: 'views reading these files changed while the compaction began; run it again' });
        else {
          const prints: MergedFilePrint[] = [];
          try {
            const merged = await mergeGroup(project, conn, g, leases, prints);
            run.merged(g, merged.file, merged.rows, merged.checksum, prints);
            done.push({ ...groupOutcome(g, 'compacted'), file: merged.file, rows: merged.rows });
          } catch (e) {
            const failed = { ...groupOutcome(g, 'failed'), reason: (e as Error).message, code: isFeatureguardError(e) ? e.code : 'compaction_failed' };
            run.failed(g, g.files.map((f) => prints.find((p) => p.path === f.file) ?? f.file), failed.reason, failed.code);
            done.push(failed);
          }
        }
      }
      return compactResultOf(false, done, recovered);
    } finally {
      for (const l of leases) await l.release();
    }
  }
}

/** A plan's inputs for definitions `set`: the set and the pushed files to merge. */
function planInputs(project: Project, set: DefinitionSet, conn: DuckDBConnection, cutoff: string): [DefinitionSet, DuckDBConnection, PushedFile[]] {
  return [set, conn, pushedFiles(project.state, project, set, cutoff)];
}

function groupOutcome(g: CompactionGroup, status: CompactedGroup['status']): CompactedGroup {
  return {
    folder: g.folder, format: g.format, sources: g.sources, views: g.views, status,
    files: g.files.map((f) => f.file), file: null, rows: null, runs: g.files.flatMap((f) => f.runs.map((r) => r.id)),
    earlier_merged: g.files.filter((f) => f.mergedAt !== undefined).length, pruned_push_files: g.files.filter((f) => f.pruned === true).length,
    reason: g.reason, code: null,
  };
}

function compactResultOf(dryRun: boolean, groups: CompactedGroup[], recovered: number): CompactResult {
  const merging = groups.filter((g) => g.status === 'compacted' || g.status === 'planned');
  return { dry_run: dryRun, groups, files_merged: merging.reduce((n, g) => n + g.files.length, 0), files_written: groups.filter((g) => g.status === 'compacted').length, recovered, pending: [], run_id: null };
}

export { folderLeaseKey };
