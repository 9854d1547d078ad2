/**
 * Which DuckDB column types a declared featureguard type accepts (the documented
 * coercions): a source column is read with `CAST(column AS <declared type>)`, so
 * only casts that never lose the value's meaning are allowed.
 */
import type { FeatureType, JoinKeyType } from './types.js';

const INT32 = ['TINYINT', 'SMALLINT', 'INTEGER', 'UTINYINT', 'USMALLINT'];
const INT64 = [...INT32, 'BIGINT', 'UINTEGER'];
const FLOATS = [...INT64, 'UBIGINT', 'HUGEINT', 'FLOAT', 'DOUBLE'];
const TIMESTAMPS = ['TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS', 'DATE'];
const LIST = /^(TINYINT|SMALLINT|INTEGER|BIGINT|FLOAT|DOUBLE|DECIMAL\(\d+,\s*\d+\))\[\d*\]$/;

/** Accepted DuckDB column types per declared type, as shown in docs and messages. */
export const ACCEPTED_COLUMN_TYPES: Readonly<Record<FeatureType, readonly string[]>> = {
  bool: ['BOOLEAN'],
  int32: INT32,
  int64: INT64,
  float32: [...FLOATS, 'DECIMAL(p,s)'],
  float64: [...FLOATS, 'DECIMAL(p,s)'],
  string: ['VARCHAR', 'ENUM(...)', 'UUID'],
  timestamp: TIMESTAMPS,
  'float32[]': ['FLOAT[]', 'DOUBLE[]', 'integer or DECIMAL lists', 'fixed-size arrays such as FLOAT[768]'],
  'float64[]': ['FLOAT[]', 'DOUBLE[]', 'integer or DECIMAL lists', 'fixed-size arrays such as DOUBLE[768]'],
};

/**
 * Column types a source's timestamp field (event or created time) may have: it is read through
 * `utcTimestampSql`, so ISO 8601 text is read too (an offset honoured, none is UTC), in any source.
 */
export const TIMESTAMP_FIELD_TYPES: readonly string[] = [...TIMESTAMPS, 'VARCHAR (ISO 8601 text)'];

/** True when a source column of type `columnType` can be a timestamp field (`TIMESTAMP_FIELD_TYPES`). */
export function isTimestampFieldType(columnType: string): boolean {
  const t = columnType.trim().toUpperCase();
  return t === 'VARCHAR' || TIMESTAMPS.includes(t);
}

/** True for a DuckDB integer column type (an epoch count where a timestamp was expected, say). */
export function isIntegerType(columnType: string): boolean {
  const t = columnType.trim().toUpperCase();
  return [...INT64, 'UBIGINT', 'HUGEINT', 'UHUGEINT'].includes(t);
}

/** True when a DuckDB column of type `columnType` (as DESCRIBE prints it) can be read as `declared`. */
export function isCompatibleType(declared: FeatureType | JoinKeyType, columnType: string): boolean {
  const t = columnType.trim().toUpperCase();
  switch (declared) {
    case 'bool':
      return t === 'BOOLEAN';
    case 'int32':
      return INT32.includes(t);
    case 'int64':
      return INT64.includes(t);
    case 'float32':
    case 'float64':
      return FLOATS.includes(t) || /^DECIMAL\(\d+,\s*\d+\)$/.test(t);
    case 'string':
      return t === 'VARCHAR' || t === 'UUID' || t.startsWith('ENUM(');
    case 'timestamp':
      return TIMESTAMPS.includes(t);
    case 'float32[]':
    case 'float64[]':
      return LIST.test(t);
  }
}
