/**
 * Entity rows read as they were given into a raw temp table (`loadRaw`), which `loadFrom` then checks and casts:
 * a Parquet or CSV file (CSV with the join keys and timestamp as text, other columns in the sniffed type only
 * where every value reads back unchanged: `csvReader`), a SQL query (one SELECT, checked before it runs:
 * `singleSelect`), or rows and an Arrow table in memory (appended column by column, `entity-columns.ts`).
 *
 * @example
 * await loadRaw(conn, { kind: 'file', path: 'data/entities.csv' }, '__fg_ds_x_entities_raw', options);
 */
import { StatementType, type DuckDBConnection } from '@duckdb/node-api';
import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { duckdbType } from './column-casts.js';
import { ident, literal } from './engine.js';
import { appendColumns, columnsFromArrow, columnsFromRows, type ColType, type InColumn } from './entity-columns.js';
import type { LoadEntityOptions } from './entity-input.js';
import type { EntityInput } from './entity-input-types.js';
import { checkColumnNames } from './entity-table.js';
import { ENTITY_TS } from './point-in-time.js';

/** The format of an entity file: as given, else by its extension; undefined when neither tells. */
export function entityFileFormat(input: Extract<EntityInput, { kind: 'file' }>): 'parquet' | 'csv' | undefined {
  const ext = extname(input.path).toLowerCase();
  return input.format ?? (ext === '.csv' ? 'csv' : ext === '.parquet' ? 'parquet' : undefined);
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

/** Read `input` as it is into the temp table `raw` (its insertion order is the input order). */
export async function loadRaw(conn: DuckDBConnection, input: EntityInput, raw: string, options: LoadEntityOptions): Promise<void> {
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
    return;
  }
  if (input.kind === 'sql') {
    const query = await singleSelect(conn, input.sql);
    try {
      // query() takes the text as it is: a trailing `;` or comment cannot end up inside wrapping parentheses.
      await conn.run(`CREATE OR REPLACE TEMP TABLE ${ident(raw)} AS SELECT * FROM query(${literal(query)}) AS __fg_q`);
    } catch (e) {
      throw sqlFailed(e);
    }
    return;
  }
  const intKeys = new Set(options.joinKeys.filter((k) => k.type !== 'string').map((k) => k.name));
  const cols = input.kind === 'rows'
    ? input.rows.length === 0 ? noRowsColumns(options) : columnsFromRows(input.rows as readonly Readonly<Record<string, unknown>>[], new Map(options.joinKeys.map((k) => [k.name, k])), options.timestampColumn ?? ENTITY_TS)
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
}

/**
 * The entity SQL's failure; a file it names that is not there is said with the folder its relative paths
 * resolve against: the process's working directory (DuckDB's), whatever `baseDir` a caller gave for files.
 */
function sqlFailed(e: unknown): InputError {
  const reason = (e as Error).message.split('\n')[0];
  const missing = /No files found that match the pattern|No such file or directory/.test(reason);
  const where = missing ? ` (relative paths in the query resolve against the working directory, ${process.cwd()})` : '';
  return new InputError(`the entity SQL query failed: ${reason}${where}`, missing ? { working_directory: process.cwd() } : undefined, 'bad_entity_sql');
}

/**
 * The entity SQL as one query, checked before it runs: one statement, and a SELECT (or VALUES, FROM …).
 * Anything else would run with the process's DuckDB: a `COPY` writing files, an `ATTACH`, a `SET GLOBAL
 * TimeZone` that shifts every later build's timestamps. A trailing `;` and comments are allowed.
 */
async function singleSelect(conn: DuckDBConnection, sql: string): Promise<string> {
  if (sql.trim() === '') throw new InputError('the entity SQL is empty: give a query (a SELECT) that returns the entity rows', undefined, 'bad_entity_sql');
  const failed = sqlFailed;
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
  const keys = new Map(options.joinKeys.filter((k) => k.name !== tsCol).map((k) => [k.name, duckdbType(k.type) as ColType]));
  return [{ name: tsCol, type: 'TIMESTAMP', values: [] }, ...[...keys].map(([name, type]) => ({ name, type, values: [] }))];
}
