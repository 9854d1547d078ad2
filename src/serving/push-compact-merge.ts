/**
 * One folder's merge (`mergeGroup`): the merged file written under a hidden name, checked against the files it
 * merges (columns, types, rows, row checksum), journalled, renamed into place, the merged files removed and the
 * push runs told where their rows are (`recordMerge`, also used to finish a journal a stopped compaction left).
 *
 * @example
 * const prints: MergedFilePrint[] = [];
 * const { file, rows, checksum } = await mergeGroup(project, conn, group, leases, prints);
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConflictError, FeatureguardError } from '../errors.js';
import type { Lease } from '../materialize/lease.js';
import { interruptQuietly, literal } from '../offline/engine.js';
import { fingerprintRelation } from '../offline/fingerprint.js';
import { writingName } from '../offline/source-sql.js';
import type { Project } from '../project.js';
import { onInterrupt } from '../state/interrupt.js';
import { writeWhenFree, type StateDb } from '../state/state-db.js';
import { currentFile, filesReader, schemaOf, type CompactionGroup } from './push-compact-plan.js';
import { folderLeaseKey, journalDir, type Journal } from './push-compact-journal.js';
import type { MergedFilePrint } from './push-compact-run.js';

/** What a merge wrote: the merged file, its rows and its row checksum. */
export interface MergedGroup {
  readonly file: string;
  readonly rows: number;
  readonly checksum: string;
}

/**
 * Write the merged file of `g` under a hidden name, check it holds what the files held (columns, types, rows, row
 * checksum), then: journal, rename into place, record it in the push runs, remove the merged files, drop the journal.
 */
export async function mergeGroup(project: Project, conn: DuckDBConnection, g: CompactionGroup, leases: readonly Lease[], prints: MergedFilePrint[]): Promise<MergedGroup> {
  const target = g.target!;
  const files = g.files.map((f) => f.file);
  const tmp = writingName(target);
  const stopWriting = onInterrupt(() => {
    interruptQuietly(conn);
    rmSync(tmp, { force: true });
  });
  let rows: number;
  let checksum: string;
  try {
    // Each file's rows and row checksum (the run's lineage records them): the checksum of a sum of rows is the sum
    // of the files' checksums, so they are read once, as a read of them all would read them.
    for (const file of files) {
      const print = await fingerprintRelation(conn, `SELECT * FROM ${filesReader(g.format, [file])}`);
      prints.push({ path: file, size: statSync(file).size, ...print });
    }
    const sumBefore = { rows: prints.reduce((n, p) => n + p.rows, 0), checksum: String(prints.reduce((n, p) => n + BigInt(p.checksum), 0n)) };
    const fmt = g.format === 'csv' ? '(FORMAT csv, HEADER true)' : '(FORMAT parquet)';
    await conn.run(`COPY (SELECT * FROM ${filesReader(g.format, files, true)}) TO ${literal(tmp)} ${fmt}`);
    const [before, after] = [filesReader(g.format, files), filesReader(g.format, [tmp])];
    const [schemaBefore, schemaAfter] = [await schemaOf(conn, before), await schemaOf(conn, after)];
    const sumAfter = await fingerprintRelation(conn, `SELECT * FROM ${after}`);
    if (schemaBefore !== schemaAfter || sumBefore.rows !== sumAfter.rows || sumBefore.checksum !== sumAfter.checksum) {
      throw new FeatureguardError('compaction_mismatch', `the merged file of ${g.folder} does not read as the files it merges (columns ${schemaAfter} against ${schemaBefore}; ${sumAfter.rows} rows against ${sumBefore.rows}); nothing was changed`, {
        status: 500, exitCode: 3, details: { folder: g.folder, files },
      });
    }
    rows = sumAfter.rows;
    checksum = sumAfter.checksum;
    // On disk before it replaces anything: after a power loss the rename must not name a file with no rows.
    syncFile(tmp);
    syncFile(g.folder);
    // A lease lost to a pause longer than its ttl: a materialization may be reading the folder now.
    const lost = leases.filter((l) => (g.views.includes(l.view) || l.view === folderLeaseKey(g.folder)) && !l.held());
    if (lost.length > 0) throw new ConflictError(`the materialization lease of ${lost.map((l) => `'${l.view}'`).join(', ')} expired and was taken over (was this process paused?); ${g.folder} was not changed`, { views: lost.map((l) => l.view) }, 'lease_lost');
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  } finally {
    stopWriting();
  }
  const journal: Journal = { file: target, merged: files, runs: g.files.flatMap((f) => f.runs.map((r) => r.id)), format: g.format, rows, checksum };
  const journalFile = writeJournal(project, journal);
  // From the rename on, the merged file holds the rows: an interrupted compaction removes the files it merged (its
  // journal stays, so the next compaction records the merged file in their runs). A kill -9 leaves both: the next
  // compaction finishes it from the journal.
  const stopRemoving = onInterrupt(() => {
    for (const f of files) rmSync(f, { force: true });
    return `removed the ${files.length} files merged into ${target}`;
  });
  try {
    try {
      renameSync(tmp, target);
      syncFile(g.folder);
    } catch (e) {
      rmSync(tmp, { force: true });
      rmSync(journalFile, { force: true });
      throw e;
    }
    // The rows are in the merged file now: the files it merged go first (a source reading both would read them
    // twice), then the runs record where their rows are.
    const kept = removeFiles(files);
    if (kept.length > 0) {
      throw new FeatureguardError('compaction_incomplete', `merged ${files.length} files into ${target}, but could not remove ${kept.map((k) => `${k.file} (${k.reason})`).join(', ')}: the merged file holds their rows, so the source reads them twice until they are removed; remove them`, {
        status: 500, exitCode: 3, details: { folder: g.folder, file: target, not_removed: kept.map((k) => k.file) },
      });
    }
    await recordMerge(project.state, journal);
    rmSync(journalFile, { force: true });
  } finally {
    stopRemoving();
  }
  return { file: target, rows, checksum };
}

/** Record `journal.file` in the runs whose rows the merged files held (idempotent). */
export async function recordMerge(db: StateDb, journal: Journal): Promise<void> {
  const merged = new Set(journal.merged);
  const read = db.prepare('SELECT options FROM runs WHERE id = ?');
  const write = db.prepare('UPDATE runs SET options = ? WHERE id = ?');
  await writeWhenFree(db, () => db.transaction(() => {
    for (const id of journal.runs) {
      const row = read.get(id) as { options: string | null } | undefined;
      if (!row?.options) continue;
      const options = JSON.parse(row.options) as Record<string, unknown>;
      const now = currentFile(options);
      if (now !== null && merged.has(now)) write.run(JSON.stringify({ ...options, compacted_into: journal.file }), id);
    }
  }).immediate());
}

/** Remove `files`; those that could not be, with why. */
export function removeFiles(files: readonly string[]): { file: string; reason: string }[] {
  const kept: { file: string; reason: string }[] = [];
  for (const file of files) {
    try {
      rmSync(file, { force: true });
    } catch (e) {
      kept.push({ file, reason: (e as Error).message });
    }
  }
  return kept;
}

/** Write `journal` under `.featureguard/compacting/` (synced, renamed into place whole); returns its path. */
function writeJournal(project: Project, journal: Journal): string {
  mkdirSync(journalDir(project), { recursive: true });
  const file = join(journalDir(project), `${randomUUID()}.json`);
  writeFileSync(`${file}.tmp`, JSON.stringify(journal));
  syncFile(`${file}.tmp`);
  renameSync(`${file}.tmp`, file);
  syncFile(journalDir(project));
  return file;
}

/** fsync a file or a folder (its entries: a rename into it). A file system that cannot sync a folder is let be. */
export function syncFile(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // EINVAL/EISDIR on file systems (and platforms) that cannot fsync a folder
  } finally {
    closeSync(fd);
  }
}
