/**
 * Entity rows given in memory (row objects or an Arrow table) as typed columns, and their append into the raw
 * table DuckDB reads (`entity-input.ts` loads them from there as it loads files): types inferred from row
 * values, or taken from Arrow's declared types (width, sign, unit and zone kept, as a Parquet file's columns are).
 */
import {
  DuckDBDateValue, DuckDBDecimalValue, DuckDBTimestampMillisecondsValue, DuckDBTimestampNanosecondsValue, DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue, DuckDBTimestampValue, type DuckDBAppender, type DuckDBValue,
} from '@duckdb/node-api';
import { Type, type Table as ArrowTable } from 'apache-arrow';
import { InputError } from '../errors.js';
import { badEntityTimestamp } from './entity-row.js';
import { rowNumber } from '../row-number.js';

/** Types of the raw table's columns: what rows infer (BOOLEAN, BIGINT, DOUBLE, VARCHAR, TIMESTAMP), and what Arrow declares. */
export type ColType =
  | 'BOOLEAN' | 'TINYINT' | 'SMALLINT' | 'INTEGER' | 'BIGINT' | 'UTINYINT' | 'USMALLINT' | 'UINTEGER' | 'UBIGINT' | 'FLOAT' | 'DOUBLE'
  | 'VARCHAR' | 'TIMESTAMP' | 'TIMESTAMP_S' | 'TIMESTAMP_MS' | 'TIMESTAMP_NS' | 'TIMESTAMPTZ' | 'DATE' | `DECIMAL(${number},${number})`;
export interface InColumn { name: string; type: ColType; values: unknown[] }

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** `timestamp`: the column is the rows' timestamp column, whose invalid `Date` is a bad timestamp, not a bad value. */
function inferType(name: string, values: readonly unknown[], timestamp = false): ColType {
  const kinds = new Set<string>();
  values.forEach((v, row) => {
    if (v === null || v === undefined) return;
    if (v instanceof Date) {
      if (Number.isNaN(v.getTime()) && timestamp) throw badEntityTimestamp(name, String(v), row, 'it is an invalid Date (new Date() of something that is no time)');
      if (Number.isNaN(v.getTime())) throw new InputError(`entity column '${name}' holds an invalid Date in ${rowNumber(row)}`, { column: name, row }, 'bad_entity_value');
      kinds.add('date');
    }
    // A whole number beyond the int64 range is refused below (an id sent as a JSON number has lost digits
    // already); in a column that also holds fractions it is a float like the rest.
    else if (typeof v === 'number') kinds.add(Number.isInteger(v) ? 'int' : 'float');
    else if (typeof v === 'object') {
      throw new InputError(
        `entity column '${name}' holds ${Array.isArray(v) ? 'an array' : 'an object'} in ${rowNumber(row)}; entity values must be strings, numbers, booleans or timestamps`,
        { column: name, row },
        'bad_entity_value',
      );
    } else kinds.add(typeof v);
  });
  if (kinds.size === 0 || (kinds.size === 1 && kinds.has('string'))) return 'VARCHAR';
  if (kinds.size === 1 && kinds.has('boolean')) return 'BOOLEAN';
  if (kinds.size === 1 && kinds.has('date')) return 'TIMESTAMP';
  if ([...kinds].every((k) => k === 'int' || k === 'bigint')) {
    const row = values.findIndex((v) => (typeof v === 'number' || typeof v === 'bigint') && (BigInt(v) < INT64_MIN || BigInt(v) > INT64_MAX));
    if (row >= 0) {
      // Refused rather than read as floats: it may be an id (a uint64 hash) that lost digits already.
      throw new InputError(
        `entity column '${name}' holds ${String(values[row])} in ${rowNumber(row)}, outside the 64-bit integer range; send such values as strings`,
        { column: name, row },
        'bad_entity_value',
      );
    }
    // An integer beyond ±2^53 sent as a JSON number has lost its last digits already: refused, as for join keys,
    // rather than passed through as another id.
    const inexact = values.findIndex((v) => typeof v === 'number' && !Number.isSafeInteger(v));
    if (inexact >= 0) {
      throw new InputError(
        `entity column '${name}' holds ${String(values[inexact])} in ${rowNumber(inexact)}, a whole number beyond ±2^53 that is not exact any more (its last digits are lost); send such ids as strings (or bigints in the SDK)`,
        { column: name, row: inexact },
        'bad_entity_value',
      );
    }
    return 'BIGINT';
  }
  // A bigint among fractions is a float like the rest (the nearest double), as a whole number is.
  if ([...kinds].every((k) => k === 'int' || k === 'bigint' || k === 'float')) return 'DOUBLE';
  throw new InputError(`entity column '${name}' mixes value types (${[...kinds].join(', ')}); use one type per column`, undefined, 'mixed_column_types');
}

/**
 * An integer join key's values as sent in JSON: digit strings are the key's integers (beyond ±2^53 a JSON
 * client must send them so; the online API takes them too), and a number beyond ±2^53 is refused, since it
 * has lost its last digits already and would join another entity's rows.
 */
function intKeyValues(name: string, values: readonly unknown[]): unknown[] {
  return values.map((v, row) => {
    if (typeof v === 'string' && /^-?\d+$/.test(v)) {
      const n = BigInt(v);
      if (n < INT64_MIN || n > INT64_MAX) throw new InputError(`entity column '${name}' holds ${v} in ${rowNumber(row)}, outside the 64-bit integer range of its join key`, { column: name, row }, 'bad_entity_value');
      return n;
    }
    if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) {
      throw new InputError(
        `entity column '${name}' holds ${v} in ${rowNumber(row)}, a number beyond ±2^53 that is not exact any more (its last digits are lost); send such ids as strings (or bigints in the SDK)`,
        { column: name, row },
        'bad_entity_value',
      );
    }
    return v;
  });
}

/** The join keys of a build by column name: their declared type and the entity that declares each. */
export type EntityKeys = ReadonlyMap<string, { readonly type: string; readonly entity: string }>;

/**
 * A join key's value as a JSON client (or the SDK) gave it, quoted when it is text: `'abc'`, `3.5`, `true`.
 */
function shown(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : v instanceof Date ? v.toISOString() : String(v);
}

/**
 * The first value of a join key column that is none of its type, refused with its row (a JSON client cannot cast
 * a column, so the message names the value, not the column's type): an int key takes whole numbers, bigints and
 * digit strings (after `intKeyValues`), a string key strings.
 */
function checkKeyValues(name: string, key: { readonly type: string; readonly entity: string }, values: readonly unknown[]): void {
  const int = key.type !== 'string';
  const row = values.findIndex((v) => v !== null && (int ? typeof v !== 'bigint' && !(typeof v === 'number' && Number.isInteger(v)) : typeof v !== 'string'));
  if (row < 0) return;
  const v = values[row];
  const fix = int ? `give whole numbers within the ${key.type} range (JSON numbers, or digit strings for ids beyond ±2^53)` : `send it as a string${typeof v === 'number' || typeof v === 'bigint' ? ` ('${String(v)}')` : ''}`;
  throw new InputError(
    `entity column '${name}' holds ${shown(v)} in ${rowNumber(row)}, which is no ${key.type} (join key of entity '${key.entity}'); ${fix}`,
    { column: name, value: typeof v === 'bigint' ? String(v) : v instanceof Date ? v.toISOString() : v, row },
    'wrong_join_key_type',
  );
}

/** `timestampColumn`: the rows' timestamp column (an invalid `Date` in it is `bad_entity_timestamp`). */
export function columnsFromRows(rows: readonly Readonly<Record<string, unknown>>[], keys: EntityKeys = new Map(), timestampColumn?: string): InColumn[] {
  const names: string[] = [];
  const seen = new Set<string>();
  rows.forEach((r, row) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      throw new InputError(`entity ${rowNumber(row)} is ${r === null ? 'null' : Array.isArray(r) ? 'an array' : `a ${typeof r}`}; each entity row is an object of column values`, { row }, 'bad_entity_value');
    }
  });
  for (const r of rows) for (const k of Object.keys(r)) if (!seen.has(k)) (seen.add(k), names.push(k));
  return names.map((name) => {
    const given = rows.map((r) => r[name] ?? null);
    const key = keys.get(name);
    if (key === undefined) return { name, type: inferType(name, given, name === timestampColumn), values: given };
    if (key.type === 'string') return checkKeyValues(name, key, given), { name, type: inferType(name, given), values: given };
    return intKeyColumn(name, given, key);
  });
}

/** An int join key's column: exact integers (see `intKeyValues`); all nulls are still a BIGINT column, not text. */
function intKeyColumn(name: string, given: readonly unknown[], key?: { readonly type: string; readonly entity: string }): InColumn {
  const values = intKeyValues(name, given);
  if (key !== undefined) checkKeyValues(name, key, values);
  return { name, type: values.every((v) => v === null) ? 'BIGINT' : inferType(name, values), values };
}

/** An Arrow timestamp's unit (second, milli, micro, nano) as the DuckDB type of that unit. */
const ARROW_TIMESTAMP_TYPES = ['TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP', 'TIMESTAMP_NS'] as const;
const ARROW_UNIT_TO_MICROS = [1_000_000n, 1_000n, 1n, 0n]; // second, milli, micro, nano (nano divides)

export function columnsFromArrow(table: ArrowTable, intKeys: ReadonlySet<string> = new Set()): InColumn[] {
  return table.schema.fields.map((field, i) => {
    const vec = table.getChildAt(i)!;
    if (field.type.typeId === Type.Timestamp) {
      // The raw values in the column's unit (apache-arrow's getter gives milliseconds as a float). With a zone the
      // values are instants: TIMESTAMPTZ, which DuckDB holds in microseconds only.
      const { unit, timezone } = field.type as { unit: number; timezone?: string | null };
      const zoned = timezone !== null && timezone !== undefined && timezone !== '';
      const values: unknown[] = [];
      for (const data of vec.data) {
        const raw = data.values as unknown as BigInt64Array;
        for (let j = 0; j < data.length; j++) {
          if (!data.getValid(j)) values.push(null);
          else {
            const v = raw[j]; // a slice's values start at its first row already (data.offset is for the validity bits)
            values.push(!zoned ? v : unit === 3 ? v / 1000n : v * ARROW_UNIT_TO_MICROS[unit]);
          }
        }
      }
      return { name: field.name, type: zoned ? 'TIMESTAMPTZ' : ARROW_TIMESTAMP_TYPES[unit], values };
    }
    const values = [...vec].map((v) => (v === undefined ? null : v) as unknown);
    if (field.type.typeId === Type.Date) return { name: field.name, type: 'DATE' as const, values: values.map((v) => (v === null ? null : Math.floor((v as number) / 86_400_000))) };
    // An int key's values decide, as for rows (a Float64 column of whole numbers is an int64 key, as apache-arrow
    // stores plain JavaScript numbers), checked as exact (a Float64 loses digits beyond ±2^53); its Arrow type
    // only when no value can (an all-null column). Other columns pass through as the type they were given, width
    // and sign included (an Int32 stays an INTEGER, a Uint64 a UBIGINT; a Float64 weight of whole numbers stays a
    // DOUBLE), as DuckDB reads the same column from a Parquet file.
    const declared = arrowColumnType(field.type);
    if (intKeys.has(field.name) && values.some((v) => v !== null)) return intKeyColumn(field.name, values);
    if (declared?.startsWith('DECIMAL')) return { name: field.name, type: declared, values: values.map((v) => (v === null ? null : BigInt(String(v)))) };
    return { name: field.name, type: declared ?? inferType(field.name, values), values };
  });
}

const ARROW_INTS: Record<string, ColType> = {
  '8s': 'TINYINT', '16s': 'SMALLINT', '32s': 'INTEGER', '64s': 'BIGINT', '8u': 'UTINYINT', '16u': 'USMALLINT', '32u': 'UINTEGER', '64u': 'UBIGINT',
};

/**
 * The column type an Arrow type declares (Int of each width and sign, Float32 → FLOAT, Float64, Decimal128 up to
 * 38 digits, Bool, Utf8); the values decide for types without a counterpart.
 */
function arrowColumnType(given: ArrowTypeLike): ColType | undefined {
  const type = given.typeId === Type.Dictionary && given.dictionary ? given.dictionary : given;
  const t = type.typeId;
  if (t === Type.Int) return ARROW_INTS[`${type.bitWidth}${type.isSigned ? 's' : 'u'}`];
  if (t === Type.Float) return type.precision === 2 ? 'DOUBLE' : 'FLOAT'; // half and single precision: FLOAT holds both
  if (t === Type.Decimal && type.precision! >= 1 && type.precision! <= 38) return `DECIMAL(${type.precision!},${type.scale!})`;
  if (t === Type.Bool) return 'BOOLEAN';
  if (t === Type.Utf8 || t === Type.LargeUtf8) return 'VARCHAR';
  return undefined;
}

interface ArrowTypeLike {
  typeId: Type;
  dictionary?: ArrowTypeLike;
  bitWidth?: number;
  isSigned?: boolean;
  precision?: number;
  scale?: number;
}

/**
 * One value (not null) of a column of type `type` as the DuckDB value of that type: a number, bigint, string,
 * boolean, or DuckDB's timestamp, date and decimal values (a `TIMESTAMP` also from a `Date`). For appenders that
 * take values (`appendValue`, a data chunk's `setColumnValues`).
 */
export function columnValue(type: ColType, v: unknown): DuckDBValue {
  switch (type) {
    case 'VARCHAR': return String(v);
    case 'BOOLEAN': return Boolean(v);
    case 'BIGINT': case 'UBIGINT': return BigInt(v as number | bigint);
    case 'TIMESTAMP': return new DuckDBTimestampValue(v instanceof Date ? BigInt(v.getTime()) * 1000n : (v as bigint));
    case 'TIMESTAMP_S': return new DuckDBTimestampSecondsValue(v as bigint);
    case 'TIMESTAMP_MS': return new DuckDBTimestampMillisecondsValue(v as bigint);
    case 'TIMESTAMP_NS': return new DuckDBTimestampNanosecondsValue(v as bigint);
    case 'TIMESTAMPTZ': return new DuckDBTimestampTZValue(v as bigint);
    case 'DATE': return new DuckDBDateValue(v as number);
    default: {
      const decimal = /^DECIMAL\((\d+),(\d+)\)$/.exec(type);
      return decimal ? new DuckDBDecimalValue(v as bigint, Number(decimal[1]), Number(decimal[2])) : Number(v);
    }
  }
}

/** Append one value of a column of type `type` (not null): numbers and texts through their typed calls, the rest as `columnValue`s. */
function appendValue(app: DuckDBAppender, type: ColType, v: unknown): void {
  switch (type) {
    case 'VARCHAR': return app.appendVarchar(String(v));
    case 'BOOLEAN': return app.appendBoolean(Boolean(v));
    case 'TINYINT': return app.appendTinyInt(Number(v));
    case 'SMALLINT': return app.appendSmallInt(Number(v));
    case 'INTEGER': return app.appendInteger(Number(v));
    case 'BIGINT': return app.appendBigInt(BigInt(v as number | bigint));
    case 'UTINYINT': return app.appendUTinyInt(Number(v));
    case 'USMALLINT': return app.appendUSmallInt(Number(v));
    case 'UINTEGER': return app.appendUInteger(Number(v));
    case 'UBIGINT': return app.appendUBigInt(BigInt(v as number | bigint));
    case 'FLOAT': return app.appendFloat(Number(v));
    case 'DOUBLE': return app.appendDouble(Number(v));
    // The entity timestamp of every in-memory row: DuckDB's own call, not the generic one.
    case 'TIMESTAMP': return app.appendTimestamp(columnValue(type, v) as DuckDBTimestampValue);
    default: return app.appendValue(columnValue(type, v));
  }
}

export function appendColumns(app: DuckDBAppender, cols: readonly InColumn[]): void {
  const n = cols[0].values.length;
  for (let r = 0; r < n; r++) {
    for (const c of cols) {
      const v = c.values[r];
      try {
        if (v === null || v === undefined) app.appendNull();
        else appendValue(app, c.type, v);
      } catch (e) {
        // Every type above takes every value its column can hold: a value it does not is named, never DuckDB's bare reason.
        throw new InputError(`entity column '${c.name}' holds ${String(v)} in ${rowNumber(r)}, which a ${c.type} column cannot: ${(e as Error).message.split('\n')[0]}`, { column: c.name, row: r }, 'bad_entity_value');
      }
    }
    app.endRow();
  }
}
