/**
 * What `compactPushedFiles` merges: the files finished offline pushes appended (their run records' `options.file`,
 * or the file an earlier compaction merged it into, `options.compacted_into`), grouped by folder, format and the
 * sources that read them, each group with the name of its merged file and the views whose leases it needs.
 *
 * A file is a candidate only when every push run whose rows it holds is final and successful (`success`,
 * `warned`) and finished before the cutoff: a running push's file is not yet recorded, a failed push records
 * none (it removes its file). A group is merged only when nothing a source reads can change: every file holds
 * exactly the columns and types the sources read (so the merged file, wherever it sorts, leaves the types the
 * glob reads as they are), the merged file is read by exactly the sources that read the files, and no query
 * source reads (or may read) them.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { randomUUID } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { sourceFormat } from '../definitions/source-location.js';
import type { DefinitionSet, SourceDef } from '../definitions/types.js';
import { literal } from '../offline/engine.js';
import { compactedRunId, parseCompactedFileName, parsePushFileName, pushFileNames, type PushFileNames } from '../offline/push-file-name.js';
import { rawSourceSql, runSetup } from '../offline/source-sql.js';
import type { Project } from '../project.js';
import type { StateDb } from '../state/state-db.js';
import { journalDir, readJournals } from './push-compact-journal.js';
import { queryReadsFile, sourceReadsFile } from './push-readers.js';
import { offlineTarget } from './push-rows.js';

/** A file holding pushed rows, with the finished push runs whose rows it holds. */
export interface PushedFile {
  readonly file: string;
  /** The push runs whose rows it holds (empty for a merged file whose runs were pruned, `mergedAt`). */
  readonly runs: readonly { readonly id: string; readonly started_at: string; readonly finished_at: string }[];
  /**
   * The time a merged file's name carries, just before the earliest push it holds (the merged file is named to sort
   * before it): for an earlier compaction's merged file no run records any more (`runs prune` removed its runs),
   * and for a merged file later pushes' runs record, which may hold older rows whose runs were pruned. The next
   * merged file's name must sort before it too.
   */
  readonly mergedAt?: string;
  /** A push's file whose run `runs prune` removed: its one run is the id its name carries, which the log no longer holds. */
  readonly pruned?: true;
}

/** Files to merge into one (or left as they are, with `reason`). */
export interface CompactionGroup {
  readonly folder: string;
  readonly format: 'parquet' | 'csv';
  /** The sources reading the files, and the views reading those sources (their leases are held while merging). */
  readonly sources: readonly string[];
  readonly views: readonly string[];
  readonly files: readonly PushedFile[];
  /** The merged file's path (null when the group is left as it is). */
  readonly target: string | null;
  /** Why the files are left as they are; null for a group to merge. */
  readonly reason: string | null;
}

/** The file a push run's rows are in now: the one it appended, or the file a compaction merged that into. */
export function currentFile(options: Record<string, unknown> | null): string | null {
  const into = options?.compacted_into;
  if (typeof into === 'string') return into;
  return typeof options?.file === 'string' ? options.file : null;
}

/**
 * Files of the push runs that finished successfully (`success`, `warned`), by the file their rows are in now,
 * each kept only when it exists and every run of it finished at or before `cutoff` (ISO 8601).
 */
export function finishedPushFiles(db: StateDb, cutoff: string): PushedFile[] {
  const rows = db.prepare(`SELECT id, started_at, finished_at, options FROM runs
    WHERE kind = 'push' AND status IN ('success', 'warned') AND options IS NOT NULL AND json_extract(options, '$.file') IS NOT NULL`).all() as { id: string; started_at: string; finished_at: string | null; options: string }[];
  const byFile = new Map<string, { id: string; started_at: string; finished_at: string }[]>();
  for (const r of rows) {
    const file = currentFile(JSON.parse(r.options) as Record<string, unknown>);
    if (file === null) continue;
    const runs = byFile.get(file) ?? [];
    runs.push({ id: r.id, started_at: r.started_at, finished_at: r.finished_at ?? '' });
    byFile.set(file, runs);
  }
  const out: PushedFile[] = [];
  for (const [file, runs] of byFile) {
    if (runs.some((r) => r.finished_at === '' || r.finished_at > cutoff)) continue;
    if (!statSync(file, { throwIfNoEntry: false })?.isFile()) continue;
    out.push({ file, runs: runs.sort((a, b) => a.id.localeCompare(b.id)) });
  }
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/**
 * The folders pushes to `set`'s path sources write to, each with the names those pushes give their files
 * (`pushFileNames` of the source's glob file name, `part-*.parquet`; a folder source's is `*.<format>`).
 */
export function pushFolders(project: Project, set: DefinitionSet): Map<string, PushFileNames[]> {
  const folders = new Map<string, PushFileNames[]>();
  for (const source of set.sources.values()) {
    if (source.path === undefined) continue;
    let target;
    try {
      target = offlineTarget(project.sourceRoots, source, '00000000-0000-0000-0000-000000000000');
    } catch {
      continue; // no push goes there
    }
    folders.set(target.dir, [...(folders.get(target.dir) ?? []), pushFileNames(basename(target.readPath))]);
  }
  return folders;
}

/**
 * The files the runs in the log name as the file their rows are in now (`options.compacted_into`, whatever the
 * run's kind and status) and the files a compaction's journal names (merged, or merged into): not a merged file
 * whose runs were pruned.
 */
function namedMergedFiles(db: StateDb, project: Project): Set<string> {
  const rows = db.prepare(`SELECT json_extract(options, '$.compacted_into') AS file FROM runs
    WHERE options IS NOT NULL AND json_valid(options) AND json_extract(options, '$.compacted_into') IS NOT NULL`).all() as { file: unknown }[];
  const named = new Set(rows.map((r) => String(r.file)));
  // A journal's merged file is recorded in its runs by the compaction that finishes it (its recovery, first).
  for (const { journal } of readJournals(journalDir(project))) for (const f of [journal.file, ...(journal.merged ?? [])]) named.add(f);
  return named;
}

/**
 * `finishedPushFiles`, and the files in the folders pushes to `set`'s path sources write to that are named as a
 * push's and whose run is not in the log any more (`runs prune` removed it; it never removes a running run, and a
 * failed push removes its file), written at or before `cutoff` as their name says. A push's name is the plain one
 * (`push-<time>-<run id>.<ext>`) or the one a push to a source of the folder writes (`part-push-….parquet` for
 * `part-*.parquet`): the glob's own text around a stem with a real instant and a UUID, so a file of the user's is
 * taken only if named exactly as featureguard names its own. A file whose run is in the log (running, failed) or
 * whose name is no push's is never taken.
 *
 * And an earlier compaction's merged file whose runs were pruned (named as a compaction names it, with
 * `compacted-<uuid>`; its name's uuid is no run's id, so it is told by the runs: no run in the log names it as
 * `options.compacted_into`, nor a compaction's journal), written at or before `cutoff` as its modification time
 * says (it was written after every push it holds had finished; its name's time is before the earliest). It holds
 * pushed rows only, checked when it was merged, and is merged again by the same rules (row checksum, journal).
 */
export function pushedFiles(db: StateDb, project: Project, set: DefinitionSet, cutoff: string): PushedFile[] {
  const folders = pushFolders(project, set);
  // A merged file the log still names holds rows older than its runs (an earlier merged file whose runs were
  // pruned): the time its name carries bounds the next merged file's name too.
  const recorded = finishedPushFiles(db, cutoff).map((f) => {
    const name = basename(f.file);
    const merged = parseCompactedFileName(name) ?? (folders.get(dirname(f.file)) ?? []).reduce<{ at: string } | null>((found, t) => found ?? t.parseCompacted(name), null);
    return merged === null ? f : { ...f, mergedAt: merged.at };
  });
  const taken = new Set(recorded.map((f) => f.file));
  const known = db.prepare('SELECT 1 FROM runs WHERE id = ?');
  const pruned: PushedFile[] = [];
  let namedMerged: Set<string> | undefined;
  for (const [folder, templates] of folders) {
    let names: string[];
    try {
      names = readdirSync(folder);
    } catch {
      continue;
    }
    for (const name of names) {
      // Named as a push's file (a compaction's merged file is not one).
      const named = parsePushFileName(name) ?? templates.reduce<{ at: string; runId: string } | null>((found, t) => found ?? t.parse(name), null);
      const file = join(folder, name);
      if (named === null) {
        const merged = parseCompactedFileName(name) ?? templates.reduce<{ at: string; runId: string } | null>((found, t) => found ?? t.parseCompacted(name), null);
        if (merged === null || taken.has(file) || (namedMerged ??= namedMergedFiles(db, project)).has(file)) continue;
        const stat = statSync(file, { throwIfNoEntry: false });
        if (!stat?.isFile() || stat.mtime.toISOString() > cutoff) continue;
        pruned.push({ file, runs: [], mergedAt: merged.at });
        continue;
      }
      if (taken.has(file) || known.get(named.runId) !== undefined) continue;
      const { at, runId } = named;
      if (at > cutoff || !statSync(file, { throwIfNoEntry: false })?.isFile()) continue;
      pruned.push({ file, runs: [{ id: runId, started_at: at, finished_at: at }], pruned: true });
    }
  }
  return [...recorded, ...pruned].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/**
 * The reader of a list of files as a source of `format` reads them (`rawSourceSql`): CSV as text, quoted empty
 * fields as empty strings. `own`: the files' own columns only, without the columns DuckDB adds from a folder named
 * `key=value` (hive partitioning), which the folder gives the merged file again.
 */
export function filesReader(format: 'parquet' | 'csv', files: readonly string[], own = false): string {
  const list = `[${files.map(literal).join(', ')}]`;
  const hive = own ? ', hive_partitioning = false' : '';
  return format === 'parquet'
    ? `read_parquet(${list}${hive})`
    : `read_csv(${list}, header = true, all_varchar = true, quote = '"', escape = '"', allow_quoted_nulls = false${hive})`;
}

/** Column names and types of a relation, in order, as one comparable text. */
export async function schemaOf(conn: DuckDBConnection, from: string): Promise<string> {
  const rows = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`)).getRowObjectsJson() as { column_name: string; column_type: string }[];
  return JSON.stringify(rows.map((r) => [r.column_name, r.column_type]));
}

/** The columns and types a source reads (the first file of its glob), or why it cannot be told. */
async function sourceSchema(conn: DuckDBConnection, project: Project, source: SourceDef): Promise<string | Error> {
  try {
    const { setup, from } = rawSourceSql(project.sourceRoots, source);
    await runSetup(conn, setup);
    return await schemaOf(conn, from);
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/**
 * Group `files` for merging (see the module comment). `views`: only groups that one of these views reads.
 * `conn` reads the sources' and files' columns.
 */
export async function planCompaction(project: Project, set: DefinitionSet, conn: DuckDBConnection, files: readonly PushedFile[], views?: readonly string[]): Promise<CompactionGroup[]> {
  const sources = [...set.sources.values()].sort((a, b) => a.name.localeCompare(b.name));
  const pathSources = sources.filter((s) => s.path !== undefined);
  const querySources = sources.filter((s) => s.query !== undefined);
  const pathReaders = (file: string) => pathSources.filter((s) => sourceReadsFile(project.sourceRoots, s, file)).map((s) => s.name);
  const viewsOf = (names: readonly string[]) => [...set.views.values()].filter((v) => names.includes(v.source)).map((v) => v.name).sort();

  // By folder, format and the sources reading each file: one merged file per such set.
  const sets = new Map<string, { folder: string; readers: string[]; queries: string[]; files: PushedFile[] }>();
  for (const f of files) {
    const readers = pathReaders(f.file);
    const queries: string[] = [];
    for (const q of querySources) if ((await queryReadsFile(conn, project.sourceRoots, q.query!, f.file)) !== false) queries.push(q.name);
    const key = JSON.stringify([dirname(f.file), readers, queries]);
    const entry = sets.get(key) ?? { folder: dirname(f.file), readers, queries, files: [] };
    entry.files.push(f);
    sets.set(key, entry);
  }

  const schemas = new Map<string, string | Error>();
  const readSchema = async (s: SourceDef) => {
    if (!schemas.has(s.name)) schemas.set(s.name, await sourceSchema(conn, project, s));
    return schemas.get(s.name)!;
  };
  const groups: CompactionGroup[] = [];
  for (const { folder, readers, queries, files: members } of sets.values()) {
    const readViews = viewsOf([...readers, ...queries]);
    if (views !== undefined && !readViews.some((v) => views.includes(v))) continue;
    // As the sources read the files (a push wrote each in its source's format).
    const formats = [...new Set(readers.map((r) => sourceFormat(set.sources.get(r)!)))];
    const format = formats.length === 1 ? formats[0] : undefined;
    const left = (reason: string, which = members): CompactionGroup => ({ folder, format: format ?? 'parquet', sources: [...readers, ...queries], views: readViews, files: which, target: null, reason });
    if (readers.length === 0 && queries.length === 0) {
      groups.push(left('no source reads these files now; they are left as they are'));
      continue;
    }
    if (queries.length > 0) {
      groups.push(left(`the query of source ${queries.map((q) => `'${q}'`).join(', ')} reads (or may read) these files, and compaction cannot tell that its rows would stay the same`));
      continue;
    }
    if (format === undefined) {
      groups.push(left(formats.length > 1 ? `sources ${readers.map((r) => `'${r}'`).join(', ')} read these files in different formats` : `the format of source '${readers[0]}' cannot be told (give it a format)`));
      continue;
    }
    if (members.length < 2) continue;
    // Only files holding exactly the columns and types every reading source reads: the merged file holds them too,
    // so its rows read as the files' did, and the sources read the same types wherever it sorts among their files.
    const expected: string[] = [];
    let unreadable: string | null = null;
    for (const name of readers) {
      const schema = await readSchema(set.sources.get(name)!);
      if (schema instanceof Error) unreadable ??= `source '${name}' cannot be read (${schema.message.split('\n')[0]})`;
      else expected.push(schema);
    }
    if (unreadable !== null) {
      groups.push(left(unreadable));
      continue;
    }
    const same: PushedFile[] = [];
    const other: PushedFile[] = [];
    for (const m of members) (expected.every((e) => e === expected[0]) && (await schemaOf(conn, filesReader(format, [m.file]))) === expected[0] ? same : other).push(m);
    if (other.length > 0) groups.push(left(`their columns or column types differ from what source ${readers.map((r) => `'${r}'`).join(', ')} reads, so merging them could change the rows it reads`, other));
    if (same.length < 2) continue;
    const target = mergedFileName(project, set, folder, format, readers, same);
    if (typeof target !== 'string') groups.push(left(target.reason, same));
    else groups.push({ folder, format, sources: readers, views: readViews, files: same, target, reason: null });
  }
  return groups.sort((a, b) => (a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : 0));
}

/**
 * The merged file's path: named as a push of one of `readers` would name its file (`offlineTarget`), with
 * `compacted-<id>` for the run id, so that exactly the same sources read it; and with a time just before the
 * earliest of the merged pushes, so that it sorts before every merged file (DuckDB reads a glob's files in name
 * order, and the first file's columns are those of the read).
 */
function mergedFileName(project: Project, set: DefinitionSet, folder: string, format: 'parquet' | 'csv', readers: readonly string[], files: readonly PushedFile[]): string | { reason: string } {
  const earliest = Math.min(...files.flatMap((f) => [...f.runs.map((r) => Date.parse(r.started_at)), ...(f.mergedAt === undefined ? [] : [Date.parse(f.mergedAt)])]));
  const first = files.map((f) => basename(f.file)).sort()[0];
  const id = compactedRunId(randomUUID());
  const pathSources = [...set.sources.values()].filter((s) => s.path !== undefined);
  for (const name of readers) {
    const source = set.sources.get(name)!;
    for (let back = 1; back <= 1000; back++) {
      let target;
      try {
        target = offlineTarget(project.sourceRoots, source, id, new Date(earliest - back));
      } catch {
        break;
      }
      if (target.dir !== folder || target.format !== format) break;
      const path = join(target.dir, target.file);
      const readBy = pathSources.filter((s) => sourceReadsFile(project.sourceRoots, s, path)).map((s) => s.name);
      if (JSON.stringify(readBy) !== JSON.stringify(readers)) break;
      if (target.file < first) return path;
    }
  }
  return { reason: `no name for the merged file is read by exactly source ${readers.map((r) => `'${r}'`).join(', ')} and sorts before the files it merges` };
}
