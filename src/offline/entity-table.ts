/**
 * The entity table of a build, made from a relation of the entity rows as they were given (`loadFrom`): their
 * column names checked (`checkColumnNames`), the timestamp column found and cast to `event_timestamp`
 * (TIMESTAMP, UTC; text through TIMESTAMPTZ, offsets honoured), the join keys checked and cast to their declared
 * types (integer text strictly: `'2.5'` is refused, never rounded), a row ordinal first (`__fg_row`, the input
 * order), and the rows' count and time range read back. Mistakes a user can make are `InputError`s that say what to fix.
 *
 * @example
 * const loaded = await loadFrom(conn, 'read_parquet(...)', types, { ordinal: 'file_row_number', description }, options);
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { JoinKey } from '../definitions/types.js';
import { InputError } from '../errors.js';
import { parseInstant } from '../time/instant.js';
import { duckdbType, INTEGER_TYPES, badUtcOffsetSql, fractionalIntegerText } from './column-casts.js';
import { csvHeaderFault } from './csv-header.js';
import { foldAscii, ident } from './engine.js';
import type { LoadedEntities, LoadEntityOptions } from './entity-input.js';
import { badEntityTimestamp as badTimestamp } from './entity-row.js';
import { rowNumber } from '../row-number.js';
import { ENTITY_TS, ROW_ORDINAL } from './point-in-time.js';

const TIMESTAMP_TYPES = new Set(['TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS', 'TIMESTAMP WITH TIME ZONE', 'DATE']);

/** The one-pass read of a Parquet file failed (`loadEntityInput`'s general path then reports why). */
export class DirectReadFailed extends Error {}

/** Validate the columns of `from` (a FROM item with column types `types`) and create the entity table from it. */
export async function loadFrom(
  conn: DuckDBConnection,
  from: string,
  types: Map<string, string>,
  how: {
    readonly ordinal: string;
    readonly description: LoadedEntities['description'];
    readonly direct?: boolean;
    /** Integer join keys may be text, cast strictly (a CSV file's: see `csvReader` in entity-raw.ts). */
    readonly textKeys?: boolean;
  },
  options: LoadEntityOptions,
): Promise<LoadedEntities> {
  const { description } = how;
  const tsCol = options.timestampColumn ?? ENTITY_TS;
  const names = [...types.keys()];
  checkColumnNames(names);
  // DuckDB's CSV sniffer gives up on a ragged file and reads each line as one column, or takes a data row for the
  // header when the rows have more fields than the header line (`csvHeaderFault`, shared with the CSV sources).
  const fault = types.has(tsCol) ? undefined : csvHeaderFault(names);
  if (fault?.kind === 'one_column') {
    throw new InputError(
      `the entity file could not be split into columns (it was read as one column named '${names[0]}'): check for rows with more or fewer fields than the header, or unbalanced quotes`,
      { columns: names },
      'bad_entity_file',
    );
  }
  if (fault?.kind === 'data_names' && how.description.kind === 'file') {
    throw new InputError(
      `the entity file's column names look like data (${names.join(', ')}): check that its first line is a header with a name for every field of the rows (rows with more fields than the header)`,
      { columns: names },
      'bad_entity_file',
    );
  }
  if (!types.has(tsCol)) {
    // A column named by the caller: said as theirs, not as the default's "add an event_timestamp column".
    const message = options.timestampColumn !== undefined && options.timestampColumn !== ENTITY_TS
      ? `the entity rows have no column '${tsCol}', named as their timestamp column (CLI --timestamp-column, SDK timestampColumn, API timestamp_column) (columns: ${names.join(', ')}); name one of their columns`
      : `the entity rows have no timestamp column '${tsCol}' (columns: ${names.join(', ')}); add an '${ENTITY_TS}' column or name yours (CLI --timestamp-column, SDK timestampColumn, API timestamp_column)`;
    throw new InputError(message, { columns: names, timestamp_column: tsCol }, 'missing_timestamp_column');
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
    const want = duckdbType(key.type);
    if (how.textKeys && key.type !== 'string' && t === 'VARCHAR') {
      await checkIntegerText(conn, from, how.ordinal, key);
      keyExpr.set(key.name, `CAST(${ident(key.name)} AS ${want})`);
      continue;
    }
    const ok = key.type === 'string' ? t === 'VARCHAR' : INTEGER_TYPES.includes(t);
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
      `SELECT ${c} AS v, ${how.ordinal} AS r FROM ${from} WHERE ${badUtcOffsetSql(c)} ORDER BY ${how.ordinal} LIMIT 1`,
    )).getRowObjectsJS()[0];
    if (bad) throw badTimestamp(tsCol, String(bad.v), Number(bad.r), 'it has no valid UTC offset (hours 00-23, minutes and seconds 00-59)');
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
    // Text DuckDB cannot read as a time: the first such row, said as the strict time parser says it.
    if (tsType === 'VARCHAR') {
      const c = ident(tsCol);
      const bad = (await conn.runAndReadAll(
        `SELECT ${c} AS v, ${how.ordinal} AS r FROM ${from} WHERE ${c} IS NOT NULL AND TRY_CAST(${c} AS TIMESTAMPTZ) IS NULL ORDER BY ${how.ordinal} LIMIT 1`,
      )).getRowObjectsJS()[0];
      if (bad) throw badTimestamp(tsCol, String(bad.v), Number(bad.r), instantReason(String(bad.v)) ?? reason);
    }
    throw new InputError(`could not read entity timestamp column '${tsCol}' as a timestamp: ${reason}`, undefined, 'wrong_timestamp_type');
  }
  const stats = (await conn.runAndReadAll(
    `SELECT count(*) AS n, count(${ENTITY_TS}) AS t, min(${ROW_ORDINAL}) FILTER (WHERE ${ENTITY_TS} IS NULL) AS null_row,
      min(${ROW_ORDINAL}) FILTER (WHERE NOT isfinite(${ENTITY_TS}) OR year(${ENTITY_TS}) NOT BETWEEN 1 AND 9999) AS odd_row, strftime(min(${ENTITY_TS}), '%Y-%m-%dT%H:%M:%S.%fZ') AS lo, strftime(max(${ENTITY_TS}), '%Y-%m-%dT%H:%M:%S.%fZ') AS hi,
      min(${ENTITY_TS})::VARCHAR AS blo, max(${ENTITY_TS})::VARCHAR AS bhi,
      arg_min(${ENTITY_TS}::VARCHAR, ${ROW_ORDINAL}) FILTER (WHERE NOT isfinite(${ENTITY_TS}) OR year(${ENTITY_TS}) NOT BETWEEN 1 AND 9999) AS odd,
      arg_min(year(${ENTITY_TS}), ${ROW_ORDINAL}) FILTER (WHERE NOT isfinite(${ENTITY_TS}) OR year(${ENTITY_TS}) NOT BETWEEN 1 AND 9999) AS odd_year
      FROM ${ident(options.table)}`,
  )).getRowObjectsJS()[0];
  const n = Number(stats.n);
  if (Number(stats.t) !== n) {
    const row = Number(stats.null_row);
    throw new InputError(`${n - Number(stats.t)} entity row(s) have no timestamp in '${tsCol}', the first at ${rowNumber(row)}; every entity row needs one`, { column: tsCol, row, rows: n - Number(stats.t) }, 'null_timestamp');
  }
  if (stats.odd !== null && stats.odd !== undefined) {
    // DuckDB reads 'infinity', '-infinity', dates BC and years past 9999 as timestamps; no feature row can be joined
    // at them. Text is named as it was given, not as DuckDB's cast wrote it back.
    const row = Number(stats.odd_row);
    // An SDK row's `Date` (a TIMESTAMP of its milliseconds) as JavaScript writes it (`+010000-01-01T00:00:00.000Z`).
    const given = tsType === 'VARCHAR' ? await textAt(conn, from, how.ordinal, tsCol, row)
      : description.kind === 'rows' ? await dateAt(conn, options.table, row) : undefined;
    throw badTimestamp(tsCol, given ?? String(stats.odd), row, outsideYearsReason(stats.odd_year === null ? null : Number(stats.odd_year)));
  }
  return {
    table: options.table, columns, rowCount: n,
    timeRange: n > 0 ? { min: String(stats.lo), max: String(stats.hi) } : null,
    timeBounds: n > 0 ? { min: String(stats.blo), max: String(stats.bhi) } : null,
    description,
  };
}

/** Why a timestamp DuckDB holds is no time a feature row can be joined at: its `year` (null for ±infinity). */
function outsideYearsReason(year: number | null): string {
  if (year === null) return 'it is infinite: give a time in the years 1 to 9999';
  if (year > 9999) return `year ${year} (in UTC) is beyond 9999, the last year a timestamp holds here`;
  return `it lies before the year 1 (year ${year} as DuckDB counts years BC), the first year a timestamp holds here`;
}

/** The entity table's timestamp at `row` as `Date.toISOString` writes it (SDK rows hold `Date`s), if it is an instant. */
async function dateAt(conn: DuckDBConnection, table: string, row: number): Promise<string | undefined> {
  const got = (await conn.runAndReadAll(
    `SELECT epoch_ms(${ENTITY_TS}) AS ms FROM ${ident(table)} WHERE ${ROW_ORDINAL} = ${Number(row)} AND isfinite(${ENTITY_TS})`,
  )).getRowObjectsJS()[0];
  const d = got === undefined ? undefined : new Date(Number(got.ms));
  return d === undefined || Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** The text of the timestamp column at input row `row`, as given. */
async function textAt(conn: DuckDBConnection, from: string, ordinal: string, column: string, row: number): Promise<string | undefined> {
  const found = (await conn.runAndReadAll(`SELECT ${ident(column)} AS v FROM ${from} WHERE ${ordinal} = ${row}`)).getRowObjectsJS()[0];
  return found === undefined || found.v === null ? undefined : String(found.v);
}

/** Why the strict time parser refuses `text` (`February 2026 has 28 days`), or undefined when it reads it. */
function instantReason(text: string): string | undefined {
  try {
    parseInstant(text, 'entity timestamp');
    return undefined;
  } catch (e) {
    return (e as Error).message.replace(/^invalid entity timestamp '.*?': /s, '');
  }
}

/**
 * The text of an integer join key column holds whole numbers of the key's type (or nothing): the first other
 * value is refused with its row (`'2.5'`, which DuckDB's cast would round to 3; `'abc'`; a value out of range).
 */
async function checkIntegerText(conn: DuckDBConnection, from: string, ordinal: string, key: JoinKey & { readonly entity: string }): Promise<void> {
  const want = duckdbType(key.type);
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
export function checkColumnNames(names: readonly string[]): void {
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
