/**
 * SQL expressions that read a source's column as its declared type: the DuckDB type of each declared type
 * (`duckdbType`), timestamps as naive UTC with offsets honoured (`utcTimestampSql`, `badUtcOffsetSql`), CSV text
 * cast strictly with its missing-value markers as NULL (`csvCastExpr`, `csvMarker`), and integer text that a cast
 * would round refused (`fractionalIntegerText`, `csvKeySql`). Pure functions; re-exported by `source-sql.ts`.
 *
 * @example
 * `SELECT ${utcTimestampSql('ts')} AS event_timestamp, ${csvCastExpr('delay', 'float64', false)} AS delay FROM …`
 */
import type { FeatureType, JoinKeyType } from '../definitions/types.js';
import { ident, literal } from './engine.js';

const DUCKDB_TYPES: Record<FeatureType, string> = {
  bool: 'BOOLEAN',
  int32: 'INTEGER',
  int64: 'BIGINT',
  float32: 'FLOAT',
  float64: 'DOUBLE',
  string: 'VARCHAR',
  timestamp: 'TIMESTAMP',
  'float32[]': 'FLOAT[]',
  'float64[]': 'DOUBLE[]',
};

/** The DuckDB type a feature or join key type is stored as (`float32` → `FLOAT`, `float64[]` → `DOUBLE[]`). */
export function duckdbType(type: FeatureType | JoinKeyType): string {
  return DUCKDB_TYPES[type];
}

/** DuckDB's integer types, as `typeof` names them. */
export const INTEGER_TYPES = ['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT'];


/**
 * A source's timestamp column as a naive UTC `TIMESTAMP`: a `TIMESTAMPTZ` converted, a `DATE` at midnight,
 * and text (every CSV column; a string column of a Parquet file, table or query) through `TIMESTAMPTZ`, so
 * that an offset like `-05:00` is honoured — DuckDB's plain cast of text drops it, which would move the row
 * in time; text whose offset is none (`+99`: `badUtcOffsetSql`) fails the query naming it. DuckDB folds the type
 * test when it plans the query: a `TIMESTAMP` column is read as it is, at no cost per row (the round trip through
 * `TIMESTAMPTZ` costs about 0.2 µs a row).
 */
export function utcTimestampSql(column: string): string {
  const c = ident(column);
  const text = `CAST(${c} AS VARCHAR)`;
  return `CASE WHEN typeof(${c}) = 'VARCHAR' THEN (CASE WHEN ${badUtcOffsetSql(text)} THEN ${noUtcOffsetSql(column)} ELSE CAST(CAST(${c} AS TIMESTAMPTZ) AS TIMESTAMP) END) ELSE CAST(${c} AS TIMESTAMP) END`;
}

/** SQL failing the query with "timestamp '…+99' in column `column` has no valid UTC offset (…)". */
function noUtcOffsetSql(column: string): string {
  return `error(concat(${literal(`timestamp '`)}, CAST(${ident(column)} AS VARCHAR), ${literal(`' in column ${column} has no valid UTC offset (hours 00-23, minutes and seconds 00-59)`)}))`;
}

/**
 * Whether timestamp text ends in a UTC offset that is none: DuckDB reads `±HH[[:]MM[[:]SS]]` and applies
 * whatever the numbers, so `+99` would move the time by 99 hours, `+24:00` by a day, `+09:60` by ten hours (a
 * row could come a day earlier than it happened: a future value in a training set). True for hours above 23,
 * minutes or seconds above 59, after a time of day; about 25 ns a row.
 */
export function badUtcOffsetSql(text: string): string {
  return `regexp_matches(${text}, ${literal(':[0-9]{2}(:[0-9]{2}(\\.[0-9]*)?)? *[+-]((2[4-9]|[3-9][0-9])(:?[0-9]{2}){0,2}|[0-9]{2}:?[6-9][0-9](:?[0-9]{2})?|[0-9]{2}:?[0-9]{2}:?[6-9][0-9])$')})`;
}

/**
 * Texts a CSV file writes for a missing value, read as NULL in columns declared as anything but
 * `string` (where they could be values: `NA` is Namibia): an empty field, `NA`, `N/A`, `NULL`,
 * `None`, in any case and with surrounding spaces.
 */
export const CSV_NULL_MARKERS = ['', 'NA', 'N/A', 'NULL', 'NONE'] as const;

/** Whether a CSV text is one of the missing-value markers (for non-string declared types). */
export function csvMarker(column: string): string {
  return `upper(trim(${ident(column)})) IN (${CSV_NULL_MARKERS.map(literal).join(', ')})`;
}

/**
 * Text that DuckDB's integer cast would round: `'2.5'` (and `'.5'`, `'1.5e0'`) casts to an integer, rounded,
 * where a declared integer column must refuse it. Whole numbers written as decimals (`'2.0'`, as pandas writes
 * an integer column with missing values) stay whole numbers. True only for such text (NULL and text that is no
 * number at all are the cast's to judge).
 */
export function fractionalIntegerText(column: string, type: 'int32' | 'int64'): string {
  const c = ident(column);
  return `(TRY_CAST(${c} AS DOUBLE) <> TRY_CAST(${c} AS ${duckdbType(type)}))`;
}

/** SQL failing the query with "`prefix`column `column` holds '2.5', which is no whole number (`what`)". */
function noWholeNumberSql(column: string, prefix: string, what: string): string {
  return `error(concat(${literal(`${prefix}column ${column} holds '`)}, ${ident(column)}, ${literal(`', which is no whole number (${what})`)}))`;
}

/** A CSV column of a join key as its declared type: text with a fraction is an error naming it, as any other text that is no such key. */
export function csvKeySql(column: string, type: JoinKeyType, where: string): string {
  const cast = `CAST(${ident(column)} AS ${duckdbType(type)})`;
  if (type === 'string') return cast;
  return `CASE WHEN ${fractionalIntegerText(column, type)} THEN ${noWholeNumberSql(column, `${where}: `, `join key of type ${type}`)} ELSE ${cast} END`;
}

/**
 * A CSV feature column as `type`. `try`: NULL for text that is no such value (the guards count those rows,
 * `CSV_UNPARSED`, leaving the markers out); otherwise the cast fails on such text, except on the markers,
 * which are NULL. The marker test runs only on values the cast could not read (cheap on clean files).
 * Timestamps go through TIMESTAMPTZ (offsets honoured); an offset that is none (`badUtcOffsetSql`) is refused.
 */
export function csvCastExpr(column: string, type: FeatureType | JoinKeyType, try_: boolean): string {
  const c = ident(column);
  const cast = (fn: string) => (type === 'timestamp' ? `${fn}(${fn}(${c} AS TIMESTAMPTZ) AS TIMESTAMP)` : `${fn}(${c} AS ${duckdbType(type)})`);
  if (type === 'string') return `CAST(${c} AS VARCHAR)`;
  if (type.endsWith('[]')) {
    // TRY_CAST of a list gives NULL only for the element it cannot read ('[1.0, abc]' → [1.0, NULL]): a list
    // counts as read when every element is a NULL or a value of the element type.
    const elem = duckdbType(type.slice(0, -2) as FeatureType);
    if (!try_) return `CASE WHEN ${c} IS NULL OR ${csvMarker(column)} THEN NULL ELSE ${cast('CAST')} END`;
    return `CASE WHEN coalesce(list_bool_and(list_transform(TRY_CAST(${c} AS VARCHAR[]), lambda x: x IS NULL OR TRY_CAST(x AS ${elem}) IS NOT NULL)), true) THEN ${cast('TRY_CAST')} END`;
  }
  if (type === 'int32' || type === 'int64') {
    // Text with a fraction is no value of the column (DuckDB's cast would round it).
    const fraction = fractionalIntegerText(column, type);
    if (try_) return `CASE WHEN ${fraction} THEN NULL ELSE ${cast('TRY_CAST')} END`;
    return `CASE WHEN ${fraction} THEN ${noWholeNumberSql(column, '', `declared ${type}`)} ELSE coalesce(${cast('TRY_CAST')}, CASE WHEN ${c} IS NULL OR ${csvMarker(column)} THEN NULL ELSE ${cast('CAST')} END) END`;
  }
  if (type === 'timestamp') {
    // Text whose offset is none (`+24:00`, `+99`) would move the value by that many hours: refused, as in
    // `utcTimestampSql` (the try form gives NULL, which the guards count as unparsed text).
    const bad = badUtcOffsetSql(c);
    if (try_) return `CASE WHEN ${bad} THEN NULL ELSE ${cast('TRY_CAST')} END`;
    return `CASE WHEN ${bad} THEN ${noUtcOffsetSql(column)} ELSE coalesce(${cast('TRY_CAST')}, CASE WHEN ${c} IS NULL OR ${csvMarker(column)} THEN NULL ELSE ${cast('CAST')} END) END`;
  }
  if (try_) return cast('TRY_CAST');
  // The CAST applies to the column itself, so a failing one names it ("when casting from source column risk").
  return `coalesce(${cast('TRY_CAST')}, CASE WHEN ${c} IS NULL OR ${csvMarker(column)} THEN NULL ELSE ${cast('CAST')} END)`;
}

/** A column as `type`: CSV text cast strictly (`csvCastExpr`), a timestamp as naive UTC (`utcTimestampSql`), others cast. */
export function castExpr(column: string, type: FeatureType | JoinKeyType, csv: boolean): string {
  if (csv && type !== 'string') return csvCastExpr(column, type, false);
  if (type === 'timestamp') return utcTimestampSql(column);
  return `CAST(${ident(column)} AS ${duckdbType(type)})`;
}
