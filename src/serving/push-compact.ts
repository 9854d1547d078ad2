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
 *
 * @example
 * const result = await compactPushedFiles(project, { olderThan: '10m' });
 * for (const g of result.groups) console.log(g.folder, g.status, g.files.length);
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConflictError, FeatureguardError, InputError, isFeatureguardError } from '../errors.js';
import { getView } from '../definitions/definition-set.js';
import { parseDuration } from '../definitions/ttl.js';
import type { DefinitionSet } from '../definitions/types.js';
import { acquireLeasesWhenFree, LEASE_TTL_MS, type Lease } from '../materialize/lease.js';
import { interruptQuietly, literal } from '../offline/engine.js';
import { fingerprintRelation } from '../offline/fingerprint.js';
import { COMPACTED_FILE, isWritingName, WRITING_SUFFIX, writingName } from '../offline/source-sql.js';
import type { Project } from '../project.js';
import { runningRunIds } from '../runs/run-store.js';
import { onInterrupt } from '../state/interrupt.js';
import { writeWhenFree, type StateDb } from '../state/state-db.js';
import { sourceReadsFile } from './push-readers.js';
import { currentFile, filesReader, planCompaction, pushedFiles, schemaOf, type CompactionGroup, type PushedFile } from './push-compact-plan.js';
import { folderLeaseKey, journalDir, pendingCompactions, readJournals, type Journal, type PendingCompaction } from './push-compact-journal.js';
import { compactionRun, type CompactionRun, type MergedFilePrint } from './push-compact-run.js';

export interface CompactOptions {
  /** Only the folders these views read (default: every folder holding pushed files). Every view reading a folder is still locked. */
  readonly views?: readonly string[];
  /** Only the files of pushes that finished at least this long ago: `10m`, `6h`, `2d` (default `0`: every finished push). */
  readonly olderThan?: string;
  /** Say what would be merged; change nothing (no lease is taken). */
  readonly dryRun?: boolean;
}

/** One merged file, or files left as they are. */
export interface CompactedGroup {
  readonly folder: string;
  readonly format: 'parquet' | 'csv';
  /** The sources reading the files, and the views reading those (whose leases a compaction holds). */
  readonly sources: readonly string[];
  readonly views: readonly string[];
  /**
   * `compacted`: merged into `file`; `planned`: would be (a dry run); `skipped`: left as they are (`reason`);
   * `failed`: the merge failed (`reason` says why, and what became of the files).
   */
  readonly status: 'compacted' | 'planned' | 'skipped' | 'failed';
  /** The files merged (to be merged, or left). */
  readonly files: readonly string[];
  /** The file written (null unless `compacted`). */
  readonly file: string | null;
  /** Rows of the merged file (null unless `compacted`). */
  readonly rows: number | null;
  /** The push runs whose rows the files hold. */
  readonly runs: readonly string[];
  readonly reason: string | null;
  /** The error code of a `failed` group (`compaction_mismatch`, `lease_lost`, …); null otherwise. */
  readonly code: string | null;
}

export interface CompactResult {
  readonly dry_run: boolean;
  readonly groups: readonly CompactedGroup[];
  /** Files merged (to be merged on a dry run) and files written. */
  readonly files_merged: number;
  readonly files_written: number;
  /** Compactions a stopped process left midway that this one finished first (their journals). */
  readonly recovered: number;
  /**
   * Compactions a stopped process left midway (their journals under `.featureguard/compacting/`), which the next
   * compaction finishes first, or that a live one is merging now: listed by a dry run (which touches none); empty
   * otherwise (a compaction finishes them, `recovered`).
   */
  readonly pending: readonly PendingCompaction[];
  /** The compaction's run in the quality log (kind `compact`); null when it merged nothing (a dry run, nothing to merge). */
  readonly run_id: string | null;
}


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
      return { ...compactResultOf(true, groups.map((g) => groupOutcome(g, g.reason === null ? 'planned' : 'skipped')), 0), pending };
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
      for (const folder of folders) sweepKilledWrites(folder);
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
            run.merged(g, merged.group.file!, merged.group.rows!, merged.checksum, prints);
            done.push(merged.group);
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
    files: g.files.map((f) => f.file), file: null, rows: null, runs: g.files.flatMap((f) => f.runs.map((r) => r.id)), reason: g.reason, code: null,
  };
}

function compactResultOf(dryRun: boolean, groups: CompactedGroup[], recovered: number): CompactResult {
  const merging = groups.filter((g) => g.status === 'compacted' || g.status === 'planned');
  return { dry_run: dryRun, groups, files_merged: merging.reduce((n, g) => n + g.files.length, 0), files_written: groups.filter((g) => g.status === 'compacted').length, recovered, pending: [], run_id: null };
}

export { folderLeaseKey };

/**
 * The leases of `views` and of `folders` (`folderLeaseKey`), all or none; a held one is a `ConflictError` naming the
 * folders being compacted.
 */
async function takeLeases(project: Project, views: readonly string[], folders: readonly string[], groups: readonly CompactionGroup[]): Promise<Lease[]> {
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
function refuseRunningChecks(db: StateDb, views: readonly string[], foldersOf: (view: string) => string[]): void {
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

/**
 * Write the merged file of `g` under a hidden name, check it holds what the files held (columns, types, rows, row
 * checksum), then: journal, rename into place, record it in the push runs, remove the merged files, drop the journal.
 */
async function mergeGroup(project: Project, conn: DuckDBConnection, g: CompactionGroup, leases: readonly Lease[], prints: MergedFilePrint[]): Promise<{ group: CompactedGroup; checksum: string }> {
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
  return { group: { ...groupOutcome(g, 'compacted'), file: target, rows }, checksum };
}

/** Record `journal.file` in the runs whose rows the merged files held (idempotent). */
async function recordMerge(db: StateDb, journal: Journal): Promise<void> {
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
function removeFiles(files: readonly string[]): { file: string; reason: string }[] {
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

function writeJournal(project: Project, journal: Journal): string {
  mkdirSync(journalDir(project), { recursive: true });
  const file = join(journalDir(project), `${randomUUID()}.json`);
  writeFileSync(`${file}.tmp`, JSON.stringify(journal));
  syncFile(`${file}.tmp`);
  renameSync(`${file}.tmp`, file);
  syncFile(journalDir(project));
  return file;
}

/** A compaction's merged file while it is written (the `writingName` of a `COMPACTED_FILE`). */
const isCompactWriting = (name: string) => isWritingName(name) && COMPACTED_FILE.test(name.slice(1, -WRITING_SUFFIX.length));

/**
 * Remove the hidden merged files a compaction killed before writing its journal left in `folder` (a journal's
 * own hidden file is removed by its recovery). Only compaction's names: a push's file being written is left.
 */
function sweepKilledWrites(folder: string): void {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  for (const n of names) if (isCompactWriting(n)) rmSync(join(folder, n), { force: true });
}

/** fsync a file or a folder (its entries: a rename into it). A file system that cannot sync a folder is let be. */
function syncFile(path: string): void {
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
async function recoverJournals(project: Project, set: DefinitionSet, conn: DuckDBConnection, run: CompactionRun): Promise<number> {
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
