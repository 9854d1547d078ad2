/**
 * Helpers of `push`: turning validated JSON rows into typed values, loading them
 * into a DuckDB temp table with canonical columns (for the guards) through the
 * appender (values never become SQL text), and writing
 * them as a file the view's offline source picks up.
 */
import { DOUBLE, DuckDBTimestampValue, FLOAT, LIST, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { offLimitsReason } from '../definitions/own-files.js';
import { ownPlacesUnder, resolveSourcePath, sourcePlaces, sourceResolvesInside, type SourceRoots } from '../definitions/source-location.js';
import type { FeatureType, JoinKey, SourceDef } from '../definitions/types.js';
import { FeatureguardError, InputError } from '../errors.js';
import { rowNumber } from '../row-number.js';
import { ident, interruptQuietly, literal } from '../offline/engine.js';
import { pushFileName, pushFileNames } from '../offline/push-file-name.js';
import { compactedAway, duckdbType, isWritingName, rawSourceSql, readFailureText, runSetup, vanishedFile, writingName } from '../offline/source-sql.js';
import { onInterrupt } from '../state/interrupt.js';

/** A column of the canonical push table. */
export interface PushColumn {
  readonly name: string;
  readonly type: FeatureType | JoinKey['type'];
}

/** An RFC 3339 time as its milliseconds since the epoch and the microseconds beyond them (digits 4-6 of the fraction). */
function parseRfc3339(text: string): { ms: number; micros: number } {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new InputError(`invalid timestamp '${text}'`);
  const frac = /\.(\d+)/.exec(text)?.[1] ?? '';
  return { ms, micros: frac.length > 3 ? Number(frac.slice(3, 6).padEnd(3, '0')) : 0 };
}

/** Microseconds since the epoch of an RFC 3339 time (keeps digits 4-6 of the fraction). */
export function rfc3339ToMicros(text: string): number {
  const { ms, micros } = parseRfc3339(text);
  return ms * 1000 + micros;
}

/** Microseconds since the epoch as a bigint (exact for any year DuckDB takes). */
export function rfc3339ToMicrosBig(text: string): bigint {
  const { ms, micros } = parseRfc3339(text);
  return BigInt(ms) * 1000n + BigInt(micros);
}

/**
 * `YYYY-MM-DDTHH:MM:SS.ffffffZ`, as materialized timestamps are stored online (`strftime(…, '%f')`), for
 * microseconds since the epoch (years 1-9999).
 */
export function microsToRfc3339(us: bigint): string {
  let ms = us / 1000n;
  if (us % 1000n < 0n) ms -= 1n; // floor, before 1970 too
  const iso = new Date(Number(ms)).toISOString(); // 2026-01-01T00:00:00.123Z
  return `${iso.slice(0, 23)}${String(us - ms * 1000n).padStart(3, '0')}Z`;
}

const FLOAT_LIST = LIST(FLOAT);
const DOUBLE_LIST = LIST(DOUBLE);

function appendValue(app: DuckDBAppender, v: unknown, type: PushColumn['type']): void {
  if (v === null || v === undefined) return app.appendNull();
  switch (type) {
    case 'bool':
      return app.appendBoolean(Boolean(v));
    case 'int32':
      return app.appendInteger(Number(v));
    case 'int64':
      return app.appendBigInt(BigInt(v as string | number));
    case 'float32':
      return app.appendFloat(Number(v));
    case 'float64':
      return app.appendDouble(Number(v));
    case 'string':
      return app.appendVarchar(String(v));
    case 'timestamp':
      return app.appendTimestamp(new DuckDBTimestampValue(rfc3339ToMicrosBig(String(v))));
    case 'float32[]':
      return app.appendList((v as unknown[]).map(Number), FLOAT_LIST);
    case 'float64[]':
      return app.appendList((v as unknown[]).map(Number), DOUBLE_LIST);
  }
}

/** Create temp table `table` with canonical typed columns and append the rows (no SQL text from values). */
export async function loadPushTable(
  conn: DuckDBConnection,
  table: string,
  columns: readonly PushColumn[],
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  const cols = columns.map((c) => `${ident(c.name)} ${duckdbType(c.type)}`).join(', ');
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${ident(table)} (${cols})`);
  const app = await conn.createAppender(table, 'main', 'temp');
  let i = 0;
  try {
    for (; i < rows.length; i++) {
      for (const c of columns) appendValue(app, rows[i][c.name], c.type);
      app.endRow();
    }
    app.flushSync();
  } catch (e) {
    app.clear();
    // The rows passed the schema; what DuckDB still refuses is a value the caller sent.
    const which = i < rows.length ? `pushed ${rowNumber(i)}` : 'pushed rows';
    throw new InputError(`${which} could not be loaded: ${(e as Error).message.split('\n')[0]}`, i < rows.length ? { row: i } : undefined, 'invalid_rows');
  } finally {
    try {
      app.closeSync();
    } catch {
      // closing flushes again; the error that matters was thrown above
    }
  }
}

/** Where a push to the offline store goes: a folder and a file name the source's path matches. */
export interface OfflineTarget {
  readonly dir: string;
  readonly file: string;
  readonly format: 'parquet' | 'csv';
  /** The source's name, for messages. */
  readonly source: string;
  /** What the source reads (a glob), for reading the existing column types. */
  readonly readPath: string;
  /** Where sources may be: the folder is checked again, links resolved, before the file is renamed into it. */
  readonly roots: SourceRoots;
}

/**
 * `target`, unless its file would be one of featureguard's own (the rule sources follow, `offLimitsReason`): a
 * source applied before such sources were refused (`features/*.yml`) had pushes write into the definitions
 * folder, and every later validate, plan and apply failed on the file.
 */
function ownChecked(target: OfflineTarget, refuse: (why: string) => InputError): OfflineTarget {
  const why = offLimitsReason(ownPlacesUnder(target.roots), join(target.dir, target.file));
  if (why !== undefined) throw refuse(`the file it would write, '${relative(target.roots.root, join(target.dir, target.file))}', ${why}; pushes write none of featureguard's own files, nor into the definitions folder or dot-folders`);
  return target;
}

/**
 * The file a push appends for `source`, named with the time and run id (`pushFileName`; for a glob, `pushFileNames`
 * of its file name: the stem where its first `*` is). Only `path` sources that are a folder or a glob can take appended files.
 */
export function offlineTarget(roots: SourceRoots, source: SourceDef, runId: string, now = new Date()): OfflineTarget {
  const refuse = (why: string) =>
    new InputError(`cannot push to the offline store of source '${source.name}': ${why}`, { source: source.name }, 'offline_push_unsupported');
  if (!source.path) throw refuse('only `path` sources (a folder or a glob of Parquet/CSV files) can take pushed files');
  const full = resolveSourcePath(roots, source.path);
  if (full === undefined) throw refuse(`its path '${source.path}' is outside ${sourcePlaces(roots)}`);
  const inferred = (p: string): 'parquet' | 'csv' => source.format ?? (/\.csv$/i.test(p) ? 'csv' : 'parquet');
  if (/[*?[{]/.test(source.path)) {
    const parts = source.path.split(/[\\/]/);
    const base = parts.pop() as string;
    const dirParts = parts.filter((p) => p !== '**');
    if (dirParts.some((p) => /[*?[{]/.test(p))) throw refuse(`the glob '${source.path}' has wildcards in a folder name`);
    if (/[?[{]/.test(base)) throw refuse(`the glob '${source.path}' uses wildcards other than '*' in the file name`);
    if (!base.includes('*')) throw refuse(`the glob '${source.path}' has no '*' in the file name`);
    const file = pushFileNames(base).name(now, runId);
    // Joined with '/', not posix.join: an absolute path's leading '' keeps it absolute (a data root's folder).
    const dir = resolve(roots.root, dirParts.join('/') || '.');
    return ownChecked({ dir, file, format: inferred(base), source: source.name, readPath: full, roots }, refuse);
  }
  if (existsSync(full) && statSync(full).isDirectory()) {
    const format = source.format ?? 'parquet';
    return ownChecked({ dir: full, file: pushFileName(now, runId, format), format, source: source.name, readPath: join(full, `*.${format}`), roots }, refuse);
  }
  throw refuse(`its path '${source.path}' is a single file; use a folder or a glob (e.g. 'data/flights/*.parquet') so pushed files are picked up`);
}

/**
 * Write the rows of `table` to the offline target, with the source's column names
 * and, when files already exist (`existing`, from `existingColumns`), their column types (so the glob reads as one table).
 * Written under a temporary name, then renamed, so readers never see half a file.
 * `sourceNames`: every pushed column the source reads, with the file column it is read from
 * (`pushFileColumns`); existing files without one of those columns are refused
 * (`offline_column_missing`), as a NULL written there would lose the pushed values.
 * Returns the file, and the pushed float64 columns it holds as FLOAT (as the existing files do).
 */
export async function writeOfflineFile(
  conn: DuckDBConnection,
  table: string,
  target: OfflineTarget,
  sourceNames: ReadonlyMap<string, string>,
  existing: readonly FileColumn[],
): Promise<{ file: string; float32: ReadonlySet<string> }> {
  const info = (await conn.runAndReadAll(`DESCRIBE ${ident(table)}`)).getRowObjectsJson() as { column_name: string; column_type: string }[];
  const ours = info.map((x) => x.column_name);
  // By name as DuckDB compares names, ignoring case: a file column `X` is the feature `x` (a NULL otherwise).
  const byName = new Map(ours.map((c) => [(sourceNames.get(c) ?? c).toLowerCase(), c]));
  const columns = existing.map((e) => ({ ...e, mine: byName.get(e.name.toLowerCase()) }));
  if (columns.length > 0) refuseMissingColumns(columns, sourceNames);
  // CSV files are read as text and cast to the declared types, so values are written as they are, in the
  // existing files' column order; Parquet columns take the existing files' types, refused where that would
  // change a value (see `refuseLossyCasts`).
  const csv = target.format === 'csv';
  const types = new Map(info.map((x) => [x.column_name, x.column_type]));
  if (columns.length > 0 && !csv) await refuseLossyCasts(conn, table, columns, types);
  const select = columns.length > 0
    ? columns.map(({ name, type, mine }) => `${mine === undefined ? 'NULL' : ident(mine)}${csv ? '' : `::${type}`} AS ${ident(name)}`)
    : ours.map((c) => `${ident(c)} AS ${ident(sourceNames.get(c) ?? c)}`);
  // The folder as it is now, links resolved: a link planted in a shared data root must not lead the file out
  // (nor the folders created for it: its nearest existing folder is checked before any is made).
  const outside = (dir: string) =>
    new InputError(`cannot push to the offline store: the folder ${dir} resolves (through a symbolic link) to a place outside ${sourcePlaces(target.roots)}`, { dir }, 'offline_push_unsupported');
  let existingDir = target.dir;
  while (!existsSync(existingDir) && dirname(existingDir) !== existingDir) existingDir = dirname(existingDir);
  if (!sourceResolvesInside(target.roots, existingDir)) throw outside(existingDir);
  mkdirSync(target.dir, { recursive: true });
  if (!sourceResolvesInside(target.roots, target.dir)) throw outside(target.dir);
  const final = join(target.dir, target.file);
  // Written under a name no source read takes (a glob like `data/pushed/*` matched `<file>.tmp`), removed if the
  // process is interrupted before the rename (a Ctrl-C left a complete temp file the next runs read).
  const tmp = writingName(final);
  const fmt = target.format === 'csv' ? '(FORMAT csv, HEADER true)' : '(FORMAT parquet)';
  const undo = onInterrupt(() => {
    interruptQuietly(conn);
    rmSync(tmp, { force: true });
  });
  try {
    await conn.run(`COPY (SELECT ${select.join(', ')} FROM ${ident(table)}) TO ${literal(tmp)} ${fmt}`);
    renameSync(tmp, final);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  } finally {
    undo();
  }
  // The pushed DOUBLE columns the files hold as FLOAT: their values are float32 offline.
  const float32 = new Set(columns.filter((c) => c.mine !== undefined && /^(FLOAT|REAL|FLOAT4)(\[\d*\])?$/.test(c.type) && /^DOUBLE/.test(types.get(c.mine) ?? '')).map((c) => c.mine as string));
  return { file: final, float32 };
}

/** A column of the files an offline source holds, with its DuckDB type. */
export interface FileColumn {
  readonly name: string;
  readonly type: string;
}

/**
 * The columns of the files the source reads now (names and types), none when there are no files yet: the first
 * file's, in the order the source's reads list them (`rawSourceSql`: DuckDB's glob order, a file still being
 * written or left by a killed push not listed, a file merged by a compaction not removed yet left out), as a
 * read of the folder takes its columns from its first file. Only that file is checked and read (a push into a
 * folder of 346 files spent about 100 ms checking and describing all of them). Any other failure fails the push:
 * guessing "no files" would write the canonical types and bypass `refuseLossyCasts`.
 */
export async function existingColumns(conn: DuckDBConnection, target: OfflineTarget): Promise<FileColumn[]> {
  // "No files found" names the pattern DuckDB could not match: the glob itself when the folder holds no file (the
  // push writes the canonical columns), or the listed file that vanished between the listing and the read (a
  // compaction merged it, a failed push's cleanup removed it): list again, never guess "no files" then.
  const glob = resolveSourcePath(target.roots, target.readPath);
  for (let attempt = 1; ; attempt++) {
    try {
      const first = glob === undefined ? undefined : await firstListedFile(conn, target.roots, glob);
      if (first === null) return [];
      // A name DuckDB would read as a pattern again (or a path out of the roots): the whole list's read refuses it.
      const path = first === undefined || /[*?[]/.test(first) ? target.readPath : first;
      const { setup, from } = rawSourceSql(target.roots, { kind: 'source', name: target.source, path, format: target.format, timestamp_field: 'event_timestamp' });
      await runSetup(conn, setup);
      // CSV sources are read as text (and written so): only the names and their order matter there.
      const r = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`);
      return (r.getRowObjectsJson() as { column_name: string; column_type: string }[]).map((x) => ({ name: x.column_name, type: x.column_type }));
    } catch (e) {
      // `vanishedFile`: the pattern DuckDB could not match when it is a file of the list, not a glob.
      const missing = vanishedFile(e);
      const noFiles = /No files found that match the pattern "/.test((e as Error).message);
      if (noFiles && (missing === undefined || missing === glob)) return [];
      if (noFiles && attempt < VANISHED_RETRIES) continue;
      if (e instanceof FeatureguardError) throw e;
      const said = readFailureText(e, target.roots.root);
      if (noFiles) {
        throw new FeatureguardError('source_changed', `cannot append these rows to the offline source '${target.source}': its files kept changing while they were read (${said}; ${VANISHED_RETRIES} tries; a compaction or a failed push's cleanup removes files); push again`, {
          status: 503, exitCode: 3, details: { source: target.source, reason: said }, cause: e,
        });
      }
      throw new FeatureguardError('source_unreadable', `cannot append these rows to the offline source '${target.source}': its files could not be read (${said})`, {
        status: 500, exitCode: 3, details: { source: target.source, reason: said }, cause: e,
      });
    }
  }
}

/**
 * The first file a read of glob `abs` lists (as `rawSourceSql` lists them: in DuckDB's order, files being written
 * and files a compaction merged away left out); null when there is none.
 */
async function firstListedFile(conn: DuckDBConnection, roots: SourceRoots, abs: string): Promise<string | null> {
  const listed = (await conn.runAndReadAll(`SELECT file FROM glob(${literal(abs)})`)).getRowsJS().map((r) => String(r[0])).filter((f) => !isWritingName(f));
  const merged = compactedAway(ownPlacesUnder(roots).stateDir, listed);
  return listed.find((f) => !merged.has(f)) ?? null;
}

/** How many times the files of a folder are listed again when a listed file vanished before it was read. */
const VANISHED_RETRIES = 5;

/**
 * Refuse (`InputError`, code `offline_column_missing`) rows for files that have no column for a pushed column the
 * source reads (a feature added to the view since the files were written, a timestamp under another name): the
 * file would hold NULL there, and the pushed values would be lost offline while the push answered success.
 */
function refuseMissingColumns(columns: readonly { name: string; mine: string | undefined }[], sourceNames: ReadonlyMap<string, string>): void {
  const taken = new Set(columns.map((c) => c.mine));
  const missing = [...sourceNames].filter(([mine]) => !taken.has(mine)).map(([pushed, column]) => ({ pushed, column }));
  if (missing.length === 0) return;
  throw new InputError(
    `cannot append these rows to the offline source: the existing files have no column ${missing.map((m) => (m.column === m.pushed ? `'${m.column}'` : `'${m.column}' (for '${m.pushed}')`)).join(', ')}, so the pushed values would be lost there. Add the column to the source's files (or fix the source's field_mapping), or push to the online store only`,
    { columns: missing, file_columns: columns.map((c) => c.name) },
    'offline_column_missing',
  );
}

/**
 * Whether a column of the existing files of this DuckDB type (undefined: there are none yet, the push writes
 * TIMESTAMP) holds a time to the millisecond exactly: timestamps but TIMESTAMP_S, and text (every column of
 * CSV files). A DATE or a whole number would change it, which `refuseLossyCasts` refuses.
 */
export function holdsMilliseconds(type: string | undefined): boolean {
  return type === undefined || /^(TIMESTAMP|TIMESTAMP_MS|TIMESTAMP_NS|TIMESTAMP WITH TIME ZONE|TIMESTAMPTZ|VARCHAR)$/.test(type);
}

/** DuckDB's float types, and lists of them. */
const FLOATS = /^(FLOAT|REAL|FLOAT4|DOUBLE|FLOAT8)(\[\d*\])?$/;

/**
 * Refuse (`InputError`, code `offline_type_mismatch`) pushed values that the existing Parquet files' column types
 * cannot hold as they are: a float into a DECIMAL or integer column, a time of day into a DATE, a value out
 * of range. Such a cast would round silently — a timestamp moved to midnight would even be joined into
 * training rows hours before it happened. Narrowing a float64 to the files' FLOAT is what those files hold,
 * and allowed unless the value is beyond FLOAT's range. `columns`: the files' columns, each with the pushed
 * column it takes (`mine`), if any.
 */
async function refuseLossyCasts(
  conn: DuckDBConnection,
  table: string,
  columns: readonly { name: string; type: string; mine: string | undefined }[],
  ourTypes: ReadonlyMap<string, string>,
): Promise<void> {
  const checked = columns.flatMap((e) => {
    const mine = e.mine;
    const ours = mine === undefined ? undefined : ourTypes.get(mine);
    if (mine === undefined || ours === undefined || ours === e.type) return [];
    const x = ident(mine);
    // A float64 narrowed to the files' FLOAT is what those files hold: only a value FLOAT cannot hold at all
    // (beyond ±3.4e38) is refused, in a list too.
    const narrowed = FLOATS.test(e.type) && FLOATS.test(ours) && e.type.endsWith(']') === ours.endsWith(']');
    const changed = !narrowed
      ? `TRY_CAST(TRY_CAST(${x} AS ${e.type}) AS ${ours}) IS DISTINCT FROM ${x}`
      : e.type.endsWith(']')
        ? `(${x} IS NOT NULL AND (TRY_CAST(${x} AS ${e.type}) IS NULL OR len(list_filter(TRY_CAST(${x} AS ${e.type}), lambda v: v IS NULL)) <> len(list_filter(${x}, lambda v: v IS NULL))))`
        : `(${x} IS NOT NULL AND TRY_CAST(${x} AS ${e.type}) IS NULL)`;
    return [{ column: e.name, type: e.type, ours, changed, mine }];
  });
  if (checked.length === 0) return;
  const r = (await conn.runAndReadAll(
    `SELECT ${checked.map((c, i) => `count(*) FILTER (WHERE ${c.changed}) AS n${i}, CAST(any_value(${ident(c.mine)}) FILTER (WHERE ${c.changed}) AS VARCHAR) AS v${i}`).join(', ')} FROM ${ident(table)}`,
  )).getRowsJS()[0];
  const bad = checked.map((c, i) => ({ ...c, rows: Number(r[2 * i]), example: r[2 * i + 1] })).filter((c) => c.rows > 0);
  if (bad.length === 0) return;
  throw new InputError(
    `cannot append these rows to the offline source: ${bad.map((b) => `column '${b.column}' is ${b.type} in the existing files, which cannot hold ${b.rows} of the pushed values exactly (e.g. ${String(b.example)})`).join('; ')}. Push to the online store only, or make the files' column type match the definition`,
    { columns: bad.map((b) => ({ column: b.column, file_type: b.type, pushed_type: b.ours, rows: b.rows, example: b.example === null ? null : String(b.example) })) },
    'offline_type_mismatch',
  );
}

/**
 * Refuse a request whose rows × columns exceed `maxCells` (413 `too_many_cells`), before any row is built. A
 * body within the size limit can still describe far more cells than it holds: a scalar column of a `df` stands
 * for every row, and each entity row object may bring a column of its own that every other row then lacks.
 */
export function checkCells(rows: number, columns: number, maxCells: number, field: string): void {
  if (rows * columns <= maxCells) return;
  throw new FeatureguardError('too_many_cells', `'${field}' describes ${rows} rows × ${columns} columns, more than the ${maxCells} cells one request may hold; send fewer rows or columns per request (the limit grows with server.body_limit)`, {
    status: 413, exitCode: 2, details: { field, rows, columns, limit: maxCells },
  });
}

/**
 * Columns as rows (Feast's `df` of a push, the `entities` of a dataset request); every column must have the same
 * length. A column may also be `{index: value}`, pandas' default orient (`df.to_dict()`, `df.to_json()`), which
 * Feast's `pd.DataFrame(request.df)` reads: the rows are then the union of those columns' index keys, first seen
 * first (integer keys in ascending order, as `JSON.parse` gives them), a key a column lacks null there. A list
 * column beside them is refused: it keeps pandas' index order, which `JSON.parse` lost for the integer keys of the
 * others (a frame indexed 1, 0 would give one entity another's values).
 */
export function rowsFromColumns(df: Record<string, unknown>, field = 'df', code = 'invalid_rows', maxCells = Infinity): Record<string, unknown>[] {
  const indexed = Object.entries(df).filter((e): e is [string, Record<string, unknown>] => isIndexColumn(e[1]));
  const index = indexed.length > 0 ? indexKeys(indexed.map(([, v]) => v)) : null;
  // A single value stands for every row (pandas broadcasts a scalar column; Feast's own examples send one).
  const first = Object.entries(df).find(([, v]) => Array.isArray(v)) as [string, unknown[]] | undefined;
  const n = index ? index.length : first ? first[1].length : Object.keys(df).length > 0 ? 1 : 0;
  checkCells(n, Object.keys(df).length, maxCells, field);
  if (index && first) {
    const lists = Object.entries(df).filter((e): e is [string, unknown[]] => Array.isArray(e[1]));
    const names = (cols: readonly [string, unknown][]) => cols.map(([k]) => `'${k}'`).join(', ');
    throw new InputError(
      `'${field}' mixes column shapes: ${names(lists)} ${lists.length === 1 ? 'is a list' : 'are lists'} of values (${lists.map(([, v]) => v.length).join(', ')}), the {index: value} columns (${names(indexed)}) have ${n} index ${n === 1 ? 'key' : 'keys'}, and which index key a list's value belongs to cannot be told (JSON keeps no integer keys' order); send every column as a list of values (df.to_dict('list')) or every column as {index: value}`,
      { list_columns: lists.map(([k]) => k), index_columns: indexed.map(([k]) => k), index_keys: n },
      code,
    );
  }
  const cols = Object.entries(df).map(([k, v]): [string, unknown[]] => [
    k, Array.isArray(v) ? v : index && isIndexColumn(v) ? index.map((i) => (Object.hasOwn(v, i) ? v[i] : null)) : new Array<unknown>(n).fill(v),
  ]);
  const bad = cols.filter(([, v]) => v.length !== n).map(([k, v]) => ({ column: k, length: v.length }));
  if (bad.length > 0) throw new InputError(`every column of '${field}' must have the same length (${first?.[0]} has ${n}, ${bad[0].column} ${bad[0].length})`, { columns: bad }, code);
  return Array.from({ length: n }, (_, i) => Object.fromEntries(cols.map(([k, v]) => [k, v[i]])));
}

/**
 * A plain object as a column: `{index: value}` (no value of a row is a plain object, so none is broadcast). Not an
 * exact integer of the body (`ExactInteger`, a class), which is a scalar.
 */
function isIndexColumn(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The union of the columns' index keys, first seen first. */
function indexKeys(columns: readonly Record<string, unknown>[]): string[] {
  const keys = new Set<string>();
  for (const c of columns) for (const k of Object.keys(c)) keys.add(k);
  return [...keys];
}
