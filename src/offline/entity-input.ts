/**
 * Entity rows for a dataset build: from a Parquet/CSV file, a SQL query, an
 * array of objects or an Arrow table. They are loaded into a temp table on the
 * build's connection with a row ordinal first (`__fg_row`, the input order), the
 * timestamp column renamed to `event_timestamp` (TIMESTAMP, UTC, microseconds)
 * and join keys cast to their declared types. A single Parquet file is read
 * straight into that table in one pass (its `file_row_number` is the ordinal);
 * other inputs are first copied as they are into a raw temp table, whose
 * insertion order gives the ordinal. CSV files are read with the join
 * key columns typed as declared (a zip code `02134` stays text) and the timestamp
 * column as text that is then cast strictly. Mistakes a user can make are
 * `InputError`s that say what to fix.
 */
import { StatementType, type DuckDBConnection } from '@duckdb/node-api';
import type { Table as ArrowTable } from 'apache-arrow';
import { extname, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { JoinKey, JoinKeyType } from '../definitions/types.js';
import { InputError } from '../errors.js';
import { fileUri } from '../runs/dataset-names.js';
import { foldAscii, ident, literal } from './engine.js';
import { fingerprintOrderedRelation } from './fingerprint.js';
import { ENTITY_TS, ROW_ORDINAL } from './point-in-time.js';
import { badUtcOffsetSql, fractionalIntegerText } from './source-sql.js';
import { appendColumns, columnsFromArrow, columnsFromRows, type ColType, type InColumn } from './entity-columns.js';

/** Where entity rows come from. */
export type EntityInput =
  | { readonly kind: 'file'; readonly path: string; readonly format?: 'parquet' | 'csv' }
  | { readonly kind: 'sql'; readonly sql: string }
  | { readonly kind: 'rows'; readonly rows: readonly object[] }
  | { readonly kind: 'arrow'; readonly table: ArrowTable };

export interface LoadedEntities {
  /** Temp table with `__fg_row`, the entity columns (timestamp renamed), keys cast. */
  readonly table: string;
  /** Entity columns in output order (without `__fg_row`). */
  readonly columns: readonly string[];
  readonly rowCount: number;
  readonly timeRange: { readonly min: string; readonly max: string } | null;
  /** The same range as DuckDB TIMESTAMP text (for SQL literals), or null without rows. */
  readonly timeBounds: { readonly min: string; readonly max: string } | null;
  /** How the input is described in the manifest and lineage. */
  readonly description: { readonly kind: EntityInput['kind']; readonly uri: string };
}

export interface LoadEntityOptions {
  /** Name of the timestamp column in the input (default `event_timestamp`); renamed to `event_timestamp`. */
  readonly timestampColumn?: string;
  /** Join keys the selected views need, with the entity that declares each. */
  readonly joinKeys: readonly (JoinKey & { readonly entity: string })[];
  /**
   * Join keys the rows may lack when they have `column`: a service's label the entity rows carry already
   * (its view is then not joined, so its own keys are not needed).
   */
  readonly keysUnless?: { readonly column: string; readonly keys: readonly string[] };
  /** Name of the temp table to create. */
  readonly table: string;
  /** Folder relative file paths are resolved against (default: the process's working directory). */
  readonly baseDir?: string;
}

const KEY_SQL: Record<JoinKeyType, string> = { string: 'VARCHAR', int32: 'INTEGER', int64: 'BIGINT' };
const INTEGER_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT']);
const TIMESTAMP_TYPES = new Set(['TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS', 'TIMESTAMP WITH TIME ZONE', 'DATE']);

/**
 * The URI the entity rows are recorded under (manifest, lineage): a file by its absolute path (relative paths
 * resolve against `baseDir`, default the working directory), a query by its text. Rows in memory have no name of
 * their own: once loaded they are named by their fingerprint (`memoryEntityUri`, see `loadEntityInput`); before
 * that (a build that failed loading them) by `unloaded`, the run's id, so that no two builds share one dataset.
 */
export function entityInputUri(input: EntityInput, baseDir?: string, unloaded?: string): string {
  if (input.kind === 'file') return fileUri(resolve(baseDir ?? process.cwd(), input.path));
  if (input.kind === 'sql') return `sql:${input.sql}`;
  return unloaded === undefined ? `memory:${input.kind}` : memoryEntityUri(input.kind, `run-${unloaded}`);
}

/**
 * Entity rows given in memory (an array of objects, an Arrow table) as a dataset: `memory:rows/ID`
 * (`memory:arrow/ID`), ID the checksum of their ordered fingerprint (as the manifest records it), so builds from
 * other rows name other datasets and builds from the same rows, in the same order, the same one.
 *
 * @example
 * memoryEntityUri('rows', '260286824962102998475'); // 'memory:rows/260286824962102998475'
 */
export function memoryEntityUri(kind: 'rows' | 'arrow', id: string): string {
  return `memory:${kind}/${id}`;
}

/** Loaded in-memory rows named by their fingerprint (`memoryEntityUri`); other inputs as they are. */
async function named(conn: DuckDBConnection, input: EntityInput, loaded: LoadedEntities): Promise<LoadedEntities> {
  if (input.kind !== 'rows' && input.kind !== 'arrow') return loaded;
  const { checksum } = await fingerprintOrderedRelation(conn, loaded.table, ROW_ORDINAL);
  return { ...loaded, description: { kind: input.kind, uri: memoryEntityUri(input.kind, checksum) } };
}

/** Load entity rows into a temp table on `conn` and validate them against the join keys. */
export async function loadEntityInput(conn: DuckDBConnection, input: EntityInput, options: LoadEntityOptions): Promise<LoadedEntities> {
  const direct = await directParquet(conn, input, options);
  if (direct) {
    try {
      return await loadFrom(conn, direct.from, direct.types, { ordinal: 'file_row_number', description: direct.description, direct: true }, options);
    } catch (e) {
      // The file could not be read into the table: a bad timestamp, or a bad file? The general path tells them apart.
      if (!(e instanceof DirectReadFailed)) throw e;
    }
  }
  const raw = `${options.table}_raw`;
  const description = await loadRaw(conn, input, raw, options);
  try {
    const described = (await conn.runAndReadAll(`DESCRIBE ${ident(raw)}`)).getRowObjectsJS();
    const types = new Map(described.map((r) => [String(r.column_name), String(r.column_type)]));
    // The input order is the raw table's rowid, which a column of the rows named `rowid` would shadow: that column
    // is renamed aside and read back under its name, in its place.
    const own = [...types.keys()].find((n) => foldAscii(n) === 'rowid');
    const textKeys = input.kind === 'file' && entityFileFormat(input) === 'csv';
    if (own === undefined) return await named(conn, input, await loadFrom(conn, ident(raw), types, { ordinal: 'rowid', description, textKeys }, options));
    await conn.run(`ALTER TABLE ${ident(raw)} RENAME COLUMN ${ident(own)} TO ${USER_ROWID}`);
    const from = `(SELECT rowid AS ${RAW_ORDINAL}, * RENAME (${USER_ROWID} AS ${ident(own)}) FROM ${ident(raw)}) AS __fg_raw`;
    return await named(conn, input, await loadFrom(conn, from, types, { ordinal: RAW_ORDINAL, description, textKeys }, options));
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${ident(raw)}`);
  }
}

/** A column of the rows named `rowid` while it is set aside (see `loadEntityInput`), and the raw table's row ids. */
const USER_ROWID = '__fg_user_rowid';
const RAW_ORDINAL = '__fg_raw_row';

/** The one-pass read of a Parquet file failed (the general path then reports why). */
class DirectReadFailed extends Error {}

/**
 * A single Parquet file (no glob) whose columns DuckDB can describe: read it
 * straight into the entity table, `file_row_number` being the input order.
 * `null` for every other input (and for a file with its own `file_row_number`
 * column), which takes the general path.
 */
async function directParquet(
  conn: DuckDBConnection,
  input: EntityInput,
  options: LoadEntityOptions,
): Promise<{ from: string; types: Map<string, string>; description: LoadedEntities['description'] } | null> {
  if (input.kind !== 'file') return null;
  const path = resolve(options.baseDir ?? process.cwd(), input.path);
  if (entityFileFormat(input) !== 'parquet' || /[*?[]/.test(path) || !existsSync(path)) return null;
  try {
    const described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${literal(path)})`)).getRowObjectsJS();
    const types = new Map(described.map((r) => [String(r.column_name), String(r.column_type)]));
    if ([...types.keys()].some((n) => n.toLowerCase() === 'file_row_number')) return null;
    return { from: `read_parquet(${literal(path)}, file_row_number = true)`, types, description: { kind: 'file', uri: entityInputUri(input, options.baseDir) } };
  } catch {
    return null;
  }
}

/** Validate the columns of `from` (a FROM item with column types `types`) and create the entity table from it. */
async function loadFrom(
  conn: DuckDBConnection,
  from: string,
  types: Map<string, string>,
  how: {
    readonly ordinal: string;
    readonly description: LoadedEntities['description'];
    readonly direct?: boolean;
    /** Integer join keys may be text, cast strictly (a CSV file's: see `csvReader`). */
    readonly textKeys?: boolean;
  },
  options: LoadEntityOptions,
): Promise<LoadedEntities> {
  const { description } = how;
  const tsCol = options.timestampColumn ?? ENTITY_TS;
  const names = [...types.keys()];
  checkColumnNames(names);
  if (!types.has(tsCol) && names.length === 1 && /[,;|\t]/.test(names[0])) {
    // DuckDB's CSV sniffer gives up on a ragged file and reads each line as one column.
    throw new InputError(
      `the entity file could not be split into columns (it was read as one column named '${names[0]}'): check for rows with more or fewer fields than the header, or unbalanced quotes`,
      { columns: names },
      'bad_entity_file',
    );
  }
  if (!types.has(tsCol) && how.description.kind === 'file' && names.some((n) => /^\d{4}-\d{2}-\d{2}/.test(n))) {
    // DuckDB's CSV sniffer takes a data row for the header when the rows have more fields than the header line.
    throw new InputError(
      `the entity file's column names look like data (${names.join(', ')}): check that its first line is a header with a name for every field of the rows (rows with more fields than the header)`,
      { columns: names },
      'bad_entity_file',
    );
  }
  if (!types.has(tsCol)) {
    throw new InputError(
      `the entity rows have no timestamp column '${tsCol}' (columns: ${names.join(', ')}); add an '${ENTITY_TS}' column or name yours (CLI --timestamp-column, SDK timestampColumn, API timestamp_column)`,
      { columns: names },
      'missing_timestamp_column',
    );
  }
  const keyAsTime = options.joinKeys.find((k) => k.name === tsCol);
  if (keyAsTime) {
    throw new InputError(
      `the timestamp column '${tsCol}' is also join key '${tsCol}' of entity '${keyAsTime.entity}'; a column cannot be both: name the entity rows' timestamp column (CLI --timestamp-column, SDK timestampColumn, API timestamp_column) after another column`,
      { column: tsCol },
      'column_collision',
    );
  }
  // The output's timestamp column is `event_timestamp`: another entity column of that name (in any case: column
  // names ignore case) would be a second one.
  const clash = tsCol === ENTITY_TS ? undefined : names.find((n) => n !== tsCol && foldAscii(n) === ENTITY_TS);
  if (clash !== undefined) {
    throw new InputError(`the entity rows have both '${tsCol}' (chosen as timestamp) and '${clash}'; rename or drop '${clash}'`, undefined, 'column_collision');
  }
  const tsType = types.get(tsCol)!;
  let tsExpr: string;
  if (tsType === 'TIMESTAMP') tsExpr = ident(tsCol);
  else if (TIMESTAMP_TYPES.has(tsType)) tsExpr = `CAST(${ident(tsCol)} AS TIMESTAMP)`;
  else if (tsType === 'VARCHAR') tsExpr = `CAST(CAST(${ident(tsCol)} AS TIMESTAMPTZ) AS TIMESTAMP)`;
  else throw new InputError(`entity timestamp column '${tsCol}' has type ${tsType}; expected a TIMESTAMP (or DATE, or ISO 8601 text)`, undefined, 'wrong_timestamp_type');

  const keyExpr = new Map<string, string>();
  const unless = options.keysUnless;
  const optional = unless && types.has(unless.column) ? new Set(unless.keys) : new Set<string>();
  for (const key of options.joinKeys) {
    const t = types.get(key.name);
    if (t === undefined && optional.has(key.name)) continue;
    if (t === undefined) {
      throw new InputError(
        `the entity rows have no column '${key.name}', join key of entity '${key.entity}' (columns: ${names.join(', ')}); add it to the entity input`,
        { columns: names, missing: key.name },
        'missing_join_key',
      );
    }
    const want = KEY_SQL[key.type];
    if (how.textKeys && key.type !== 'string' && t === 'VARCHAR') {
      await checkIntegerText(conn, from, how.ordinal, key);
      keyExpr.set(key.name, `CAST(${ident(key.name)} AS ${want})`);
      continue;
    }
    const ok = key.type === 'string' ? t === 'VARCHAR' : INTEGER_TYPES.has(t);
    if (!ok) {
      throw new InputError(
        `entity column '${key.name}' has type ${t}, but join key '${key.name}' of entity '${key.entity}' is ${key.type} (${want}); cast the column to ${want} in the entity input`,
        { column: key.name, type: t, expected: want },
        'wrong_join_key_type',
      );
    }
    keyExpr.set(key.name, t === want ? ident(key.name) : `CAST(${ident(key.name)} AS ${want})`);
  }
  if (tsType === 'VARCHAR') {
    const c = ident(tsCol);
    const bad = (await conn.runAndReadAll(
      `SELECT ${c} AS v FROM ${from} WHERE ${badUtcOffsetSql(c)} LIMIT 1`,
    )).getRowObjectsJS()[0];
    if (bad) throw new InputError(`entity timestamp '${String(bad.v)}' in '${tsCol}' has no valid UTC offset (hours 00-23, minutes and seconds 00-59)`, { value: String(bad.v) }, 'wrong_timestamp_type');
  }
  const columns = names.map((n) => (n === tsCol ? ENTITY_TS : n));
  const select = names.map((n) => (n === tsCol ? `${tsExpr} AS ${ENTITY_TS}` : `${keyExpr.get(n) ?? ident(n)} AS ${ident(n)}`));
  try {
    // The ordinal (rowid of the raw table: its insertion order; or the Parquet row number) is the input order.
    // The entity table's own row order does not matter: everything downstream orders by the ordinal.
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${ident(options.table)} AS SELECT ${how.ordinal} AS ${ROW_ORDINAL}, ${select.join(', ')} FROM ${from}`);
  } catch (e) {
    if (how.direct) throw new DirectReadFailed();
    const reason = (e as Error).message.split('\n')[0];
    // A key value out of its type's range (an int32 key of 3000000000): DuckDB names the column it cast.
    const key = options.joinKeys.find((k) => keyExpr.has(k.name) && new RegExp(`column ${k.name}(?![A-Za-z0-9_])`).test(reason));
    if (key) {
      throw new InputError(`entity column '${key.name}' holds a value that is no ${key.type} (join key of entity '${key.entity}'): ${reason}`, { column: key.name }, 'wrong_join_key_type');
    }
    throw new InputError(`could not read entity timestamp column '${tsCol}' as a timestamp: ${reason}`, undefined, 'wrong_timestamp_type');
  }
  const stats = (await conn.runAndReadAll(
    `SELECT count(*) AS n, count(${ENTITY_TS}) AS t, strftime(min(${ENTITY_TS}), '%Y-%m-%dT%H:%M:%S.%fZ') AS lo, strftime(max(${ENTITY_TS}), '%Y-%m-%dT%H:%M:%S.%fZ') AS hi,
      min(${ENTITY_TS})::VARCHAR AS blo, max(${ENTITY_TS})::VARCHAR AS bhi,
      arg_min(${ENTITY_TS}::VARCHAR, ${ROW_ORDINAL}) FILTER (WHERE NOT isfinite(${ENTITY_TS}) OR year(${ENTITY_TS}) NOT BETWEEN 1 AND 9999) AS odd
      FROM ${ident(options.table)}`,
  )).getRowObjectsJS()[0];
  const n = Number(stats.n);
  if (Number(stats.t) !== n) {
    throw new InputError(`${n - Number(stats.t)} entity row(s) have no timestamp in '${tsCol}'; every entity row needs one`, undefined, 'null_timestamp');
  }
  if (stats.odd !== null && stats.odd !== undefined) {
    // DuckDB reads 'infinity', '-infinity' and dates BC as timestamps; no feature row can be joined at them.
    throw new InputError(`entity timestamp '${String(stats.odd)}' in '${tsCol}' is not a time in the years 1 to 9999`, { value: String(stats.odd) }, 'wrong_timestamp_type');
  }
  return {
    table: options.table, columns, rowCount: n,
    timeRange: n > 0 ? { min: String(stats.lo), max: String(stats.hi) } : null,
    timeBounds: n > 0 ? { min: String(stats.blo), max: String(stats.bhi) } : null,
    description,
  };
}

/** The format of an entity file: as given, else by its extension; undefined when neither tells. */
function entityFileFormat(input: Extract<EntityInput, { kind: 'file' }>): 'parquet' | 'csv' | undefined {
  const ext = extname(input.path).toLowerCase();
  return input.format ?? (ext === '.csv' ? 'csv' : ext === '.parquet' ? 'parquet' : undefined);
}

/**
 * The text of an integer join key column holds whole numbers of the key's type (or nothing): the first other
 * value is refused with its row (`'2.5'`, which DuckDB's cast would round to 3; `'abc'`; a value out of range).
 */
async function checkIntegerText(conn: DuckDBConnection, from: string, ordinal: string, key: JoinKey & { readonly entity: string }): Promise<void> {
  const want = KEY_SQL[key.type];
  const c = ident(key.name);
  const bad = (await conn.runAndReadAll(
    `SELECT ${c} AS v FROM ${from} WHERE ${c} IS NOT NULL AND (TRY_CAST(${c} AS ${want}) IS NULL OR ${fractionalIntegerText(key.name, key.type as 'int32' | 'int64')}) ORDER BY ${ordinal} LIMIT 1`,
  )).getRowObjectsJS()[0];
  if (bad) {
    throw new InputError(
      `entity column '${key.name}' holds '${String(bad.v)}', which is no ${key.type} (join key of entity '${key.entity}'); give whole numbers within the ${key.type} range`,
      { column: key.name, value: String(bad.v) },
      'wrong_join_key_type',
    );
  }
}

/** Entity column names may not start with this: the point-in-time SQL's own columns do. */
const RESERVED_PREFIX = '__fg_';

/** Column names DuckDB cannot take or that clash with the build's own hidden columns. */
function checkColumnNames(names: readonly string[]): void {
  if (names.some((n) => n === '')) {
    throw new InputError('an entity column has an empty name; give every entity column a name', { columns: names }, 'bad_column_name');
  }
  const control = names.find((n) => /[\u0000-\u001f\u007f]/.test(n));
  if (control !== undefined) {
    throw new InputError(`entity column name ${JSON.stringify(control)} holds a control character; rename it`, { column: control }, 'bad_column_name');
  }
  const reserved = names.filter((n) => foldAscii(n).startsWith(RESERVED_PREFIX));
  if (reserved.length > 0) {
    throw new InputError(
      `entity column name(s) ${reserved.map((n) => `'${n}'`).join(', ')} start with '${RESERVED_PREFIX}', which featureguard reserves for its own columns; rename them`,
      { columns: reserved },
      'bad_column_name',
    );
  }
  // DuckDB's column names are case-insensitive for A-Z only: 'origin' and 'ORIGIN' would be one
  // column, 'Ä' and 'ä' are two (JavaScript's toLowerCase would fold those too).
  const folded = new Map<string, string>();
  for (const n of names) {
    const key = foldAscii(n);
    const other = folded.get(key);
    if (other !== undefined) {
      const message = other === n
        ? `entity column '${n}' appears twice; rename or drop one`
        : `entity columns '${other}' and '${n}' differ only in case, which is one column name here; rename or drop one`;
      throw new InputError(message, { columns: [other, n] }, 'column_collision');
    }
    folded.set(key, n);
  }
}


/** First line of a DuckDB error, plus the line of a CSV error that names the column and value. */
function readErrorReason(e: unknown): string {
  const lines = (e as Error).message.split('\n');
  const detail = lines.find((l) => l.startsWith('Error when converting column'));
  return detail ? `${lines[0]}: ${detail}` : lines[0];
}

/** CSV as the product reads it everywhere (RFC 4180, as featureguard's own CSV output writes it): `""` is the empty string, an empty field NULL. */
const CSV_OPTIONS = `header = true, quote = '"', escape = '"', allow_quoted_nulls = false`;

/**
 * `read_csv` of an entity file: the join key columns and the timestamp column as text (cast strictly later,
 * offsets honoured); each other column with the type DuckDB's sniffer guessed only when every value of the file
 * reads back as the same text in that type (see `losslessSql`), else as text: a 20-digit id stays its digits
 * instead of a rounded DOUBLE, `02134` stays text, and a column whose later rows do not fit the guess is text
 * instead of failing the build.
 */
async function csvReader(conn: DuckDBConnection, path: string, options: LoadEntityOptions): Promise<string> {
  const sniffed = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_csv(${literal(path)}, ${CSV_OPTIONS})`)).getRowObjectsJS()
    .map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  const text = new Set<string>();
  // Integer keys as text, cast strictly later: DuckDB's cast while reading would round '2.5' to 3.
  for (const key of options.joinKeys) text.add(key.name);
  text.add(options.timestampColumn ?? ENTITY_TS);
  const typed = sniffed.filter((c) => !text.has(c.name) && c.type !== 'VARCHAR');
  const kept = new Set<string>();
  if (typed.length > 0) {
    const checks = typed.map((c, i) => `bool_and(${ident(c.name)} IS NULL OR ${losslessSql(ident(c.name), c.type)}) AS ok${i}`);
    const row = (await conn.runAndReadAll(`SELECT ${checks.join(', ')} FROM read_csv(${literal(path)}, ${CSV_OPTIONS}, all_varchar = true)`)).getRowsJS()[0] ?? [];
    typed.forEach((c, i) => row[i] !== false && kept.add(c.name));
  }
  const types = sniffed.map((c) => `${literal(c.name)}: ${literal(kept.has(c.name) ? c.type : 'VARCHAR')}`).join(', ');
  return `read_csv(${literal(path)}, ${CSV_OPTIONS}${sniffed.length > 0 ? `, types = {${types}}` : ''})`;
}

/**
 * SQL true when the text `v` of a CSV cell is read as `type` without changing it: an integer whose text is its
 * canonical form (no leading zeros, no `+`), a float with at most 15 significant digits (what a double keeps
 * exactly), `true`/`false`, an ISO date; other sniffed types (timestamps, times) as DuckDB reads them.
 */
function losslessSql(v: string, type: string): string {
  if (/INT$/.test(type)) return `CAST(TRY_CAST(${v} AS ${type}) AS VARCHAR) IS NOT DISTINCT FROM ${v}`;
  if (type === 'DOUBLE' || type === 'FLOAT') {
    const digits = `ltrim(regexp_replace(regexp_replace(${v}, '[eE].*$', ''), '[^0-9]', '', 'g'), '0')`;
    return `(TRY_CAST(${v} AS DOUBLE) IS NOT NULL AND length(${digits}) <= 15)`;
  }
  if (type === 'BOOLEAN') return `lower(${v}) IN ('true', 'false')`;
  if (type === 'DATE') return `CAST(TRY_CAST(${v} AS DATE) AS VARCHAR) IS NOT DISTINCT FROM ${v}`;
  return `TRY_CAST(${v} AS ${type}) IS NOT NULL`;
}

async function loadRaw(conn: DuckDBConnection, input: EntityInput, raw: string, options: LoadEntityOptions): Promise<LoadedEntities['description']> {
  if (input.kind === 'file') {
    const path = resolve(options.baseDir ?? process.cwd(), input.path);
    if (!/[*?[]/.test(path) && !existsSync(path)) {
      // A relative path is resolved against the working directory (or the caller's baseDir), not the project: say where.
      const where = path === input.path ? '' : ` (looked for ${path})`;
      throw new InputError(`entity file '${input.path}' does not exist${where}`, { file: input.path, resolved: path }, 'missing_entity_file');
    }
    const format = entityFileFormat(input);
    if (!format) throw new InputError(`cannot tell the format of entity file '${input.path}': use a .parquet or .csv file`, undefined, 'bad_entity_file');
    try {
      const reader = format === 'csv' ? await csvReader(conn, path, options) : `read_parquet(${literal(path)})`;
      await conn.run(`CREATE OR REPLACE TEMP TABLE ${ident(raw)} AS SELECT * FROM ${reader}`);
    } catch (e) {
      throw new InputError(`could not read entity file '${input.path}' as ${format}: ${readErrorReason(e)}`, { file: input.path, format }, 'bad_entity_file');
    }
    return { kind: 'file', uri: entityInputUri(input, options.baseDir) };
  }
  if (input.kind === 'sql') {
    const query = await singleSelect(conn, input.sql);
    try {
      // query() takes the text as it is: a trailing `;` or comment cannot end up inside wrapping parentheses.
      await conn.run(`CREATE OR REPLACE TEMP TABLE ${ident(raw)} AS SELECT * FROM query(${literal(query)}) AS __fg_q`);
    } catch (e) {
      throw new InputError(`the entity SQL query failed: ${(e as Error).message.split('\n')[0]}`, undefined, 'bad_entity_sql');
    }
    return { kind: 'sql', uri: entityInputUri(input) };
  }
  const intKeys = new Set(options.joinKeys.filter((k) => k.type !== 'string').map((k) => k.name));
  const cols = input.kind === 'rows'
    ? input.rows.length === 0 ? noRowsColumns(options) : columnsFromRows(input.rows as readonly Readonly<Record<string, unknown>>[], intKeys)
    : columnsFromArrow(input.table, intKeys);
  if (cols.length === 0) {
    const what = input.kind === 'rows' ? 'the entity rows have no columns (each row is an empty object)' : 'the entity Arrow table has no columns';
    throw new InputError(`${what}: give the timestamp column and the join keys`, undefined, 'empty_entities');
  }
  checkColumnNames(cols.map((c) => c.name));
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${ident(raw)} (${cols.map((c) => `${ident(c.name)} ${c.type}`).join(', ')})`);
  const app = await conn.createAppender(raw, 'main', 'temp');
  try {
    appendColumns(app, cols);
  } finally {
    app.closeSync();
  }
  return { kind: input.kind, uri: entityInputUri(input) };
}

/**
 * The entity SQL as one query, checked before it runs: one statement, and a SELECT (or VALUES, FROM …).
 * Anything else would run with the process's DuckDB: a `COPY` writing files, an `ATTACH`, a `SET GLOBAL
 * TimeZone` that shifts every later build's timestamps. A trailing `;` and comments are allowed.
 */
async function singleSelect(conn: DuckDBConnection, sql: string): Promise<string> {
  if (sql.trim() === '') throw new InputError('the entity SQL is empty: give a query (a SELECT) that returns the entity rows', undefined, 'bad_entity_sql');
  const failed = (e: unknown) => new InputError(`the entity SQL query failed: ${(e as Error).message.split('\n')[0]}`, undefined, 'bad_entity_sql');
  const statements = await conn.extractStatements(sql).catch((e: unknown) => {
    throw failed(e);
  });
  if (statements.count !== 1) {
    throw new InputError(`the entity SQL must be one query (a SELECT); it holds ${statements.count} statements`, { statements: statements.count }, 'bad_entity_sql');
  }
  const prepared = await statements.prepare(0).catch((e: unknown) => {
    throw failed(e);
  });
  const type = prepared.statementType;
  prepared.destroySync();
  if (type !== StatementType.SELECT) {
    throw new InputError(`the entity SQL must be a query (a SELECT), not a ${StatementType[type] ?? 'other'} statement`, { statement: StatementType[type] ?? null }, 'bad_entity_sql');
  }
  return sql;
}

/**
 * The columns of an empty array of rows: the timestamp and every join key, typed as declared, so that it builds
 * an empty dataset as an empty Arrow table, SQL result or file does.
 */
function noRowsColumns(options: LoadEntityOptions): InColumn[] {
  const tsCol = options.timestampColumn ?? ENTITY_TS;
  // A key named as the timestamp column is left to loadFrom, which says that a column cannot be both.
  const keys = new Map(options.joinKeys.filter((k) => k.name !== tsCol).map((k) => [k.name, KEY_SQL[k.type] as ColType]));
  return [{ name: tsCol, type: 'TIMESTAMP', values: [] }, ...[...keys].map(([name, type]) => ({ name, type, values: [] }))];
}
