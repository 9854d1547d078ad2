/**
 * What a stopped compaction left: its journals under `.featureguard/compacting/` (`recoverJournals` finishes or
 * undoes each under the leases of the views reading its files) and the hidden merged files a compaction killed
 * before journalling left in a folder (`sweepKilledWrites`, by the names pushes to the folder's sources write).
 *
 * @example
 * const recovered = await recoverJournals(project, project.registry.current(), conn, run);
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConflictError, FeatureguardError, isFeatureguardError } from '../errors.js';
import type { DefinitionSet } from '../definitions/types.js';
import { acquireLeasesWhenFree, LEASE_TTL_MS, type Lease } from '../materialize/lease.js';
import { fingerprintRelation } from '../offline/fingerprint.js';
import type { PushFileNames } from '../offline/push-file-name.js';
import { COMPACTED_FILE, isWritingName, WRITING_SUFFIX, writingName } from '../offline/source-sql.js';
import type { Project } from '../project.js';
import { sourceReadsFile } from './push-readers.js';
import { filesReader } from './push-compact-plan.js';
import { folderLeaseKey, journalDir, readJournals, type Journal } from './push-compact-journal.js';
import { refuseRunningChecks } from './push-compact-leases.js';
import { recordMerge, removeFiles } from './push-compact-merge.js';
import type { CompactionRun } from './push-compact-run.js';

/**
 * A compaction's merged file while it is written: the `writingName` of a `COMPACTED_FILE`, or of a merged file named
 * as a push to a source of its folder names its files (`templates`: `part-push-…-compacted-….parquet`).
 */
const isCompactWriting = (name: string, templates: readonly PushFileNames[]) => {
  if (!isWritingName(name)) return false;
  const merged = name.slice(1, -WRITING_SUFFIX.length);
  return COMPACTED_FILE.test(merged) || templates.some((t) => t.compacted.test(merged));
};

/**
 * Remove the hidden merged files a compaction killed before writing its journal left in `folder` (a journal's
 * own hidden file is removed by its recovery). Only compaction's names: a push's file being written is left.
 * `templates`: the names pushes to the folder's sources write (`pushFolders`).
 */
export function sweepKilledWrites(folder: string, templates: readonly PushFileNames[]): void {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  for (const n of names) if (isCompactWriting(n, templates)) rmSync(join(folder, n), { force: true });
}

/**
 * Whether the merged file of `journal` reads as the files it merged did: the rows and checksum the journal
 * recorded, or (a journal without them) those of the merged files, when they are all still there.
 */
async function mergedFileIsWhole(conn: DuckDBConnection, journal: Journal): Promise<boolean> {
  const format = journal.format ?? (journal.file.endsWith('.csv') ? 'csv' : 'parquet');
  let expected: { rows: number; checksum: string };
  if (journal.rows !== undefined && journal.rows !== null && typeof journal.checksum === 'string') expected = { rows: journal.rows, checksum: journal.checksum };
  else if (journal.merged.every((f) => existsSync(f))) expected = await fingerprintRelation(conn, `SELECT * FROM ${filesReader(format, journal.merged)}`);
  else return true; // an older journal, its files partly removed: nothing left to compare with
  try {
    const got = await fingerprintRelation(conn, `SELECT * FROM ${filesReader(format, [journal.file])}`);
    return got.rows === expected.rows && got.checksum === expected.checksum;
  } catch {
    return false; // unreadable (truncated by a power loss)
  }
}

/**
 * Finish the compactions a stopped process left (their journals), under the leases of the views reading their
 * files: with the merged file in place and reading as the files it merged (rows and checksum the journal recorded),
 * record it and remove the files it merged; with it not so, remove it and keep them; without it, nothing was changed
 * but a hidden file being written, which is removed. Returns how many were finished.
 */
export async function recoverJournals(project: Project, set: DefinitionSet, conn: DuckDBConnection, run: CompactionRun): Promise<number> {
  const dir = journalDir(project);
  if (!existsSync(dir)) return 0;
  // A journal a compaction was killed writing (it renames `<uuid>.json.tmp` at once; older than a lease's ttl,
  // its writer is gone): nothing was changed yet.
  for (const n of readdirSync(dir).filter((x) => /^[0-9a-f-]{36}\.json\.tmp$/.test(x))) {
    try {
      if (Date.now() - statSync(join(dir, n)).mtimeMs > LEASE_TTL_MS) rmSync(join(dir, n), { force: true });
    } catch {
      // gone meanwhile
    }
  }
  let finished = 0;
  for (const { path, journal } of readJournals(dir)) {
    const files = [journal.file, ...journal.merged];
    const sources = [...set.sources.values()].filter((s) => files.some((f) => sourceReadsFile(project.sourceRoots, s, f))).map((s) => s.name);
    const views = [...set.views.values()].filter((v) => sources.includes(v.source)).map((v) => v.name).sort();
    let leases: Lease[];
    try {
      leases = await acquireLeasesWhenFree(project.state, [...views, folderLeaseKey(dirname(journal.file))], `compact-${process.pid}-${randomUUID().slice(0, 8)}`);
    } catch (e) {
      if (isFeatureguardError(e) && e.status === 409) {
        throw new ConflictError(`cannot compact now: the compaction into ${journal.file} (left midway by a stopped process, or still running in another) needs the leases of ${[...views.map((v) => `'${v}'`), `its folder ${dirname(journal.file)}`].join(', ')}: ${e.message}`, e.details, e.code);
      }
      throw e;
    }
    try {
      refuseRunningChecks(project.state, views, () => [dirname(journal.file)]);
      // The journal may have been finished by another compaction while this one waited for the leases.
      if (!existsSync(path)) continue;
      if (existsSync(journal.file) && !(await mergedFileIsWhole(conn, journal))) {
        // Not the rows it merged (a power loss before the data reached the disk): the merged files are kept.
        rmSync(journal.file, { force: true });
      } else if (existsSync(journal.file)) {
        await run.begin();
        const kept = removeFiles(journal.merged);
        if (kept.length > 0) throw new FeatureguardError('compaction_incomplete', `cannot finish the compaction into ${journal.file} that a stopped process left midway: could not remove ${kept.map((k) => `${k.file} (${k.reason})`).join(', ')}, whose rows it holds; remove them`, { status: 500, exitCode: 3, details: { file: journal.file, not_removed: kept.map((k) => k.file) } });
        await recordMerge(project.state, journal);
        run.merged({ folder: dirname(journal.file), sources, views }, journal.file, journal.rows ?? null, journal.checksum ?? null, journal.merged, true);
      } else rmSync(writingName(journal.file), { force: true });
      rmSync(path, { force: true });
      finished++;
    } finally {
      for (const l of leases) await l.release();
    }
  }
  return finished;
}
