/**
 * An Arrow IPC file (file or stream format, as `dataset build --format arrow` writes it) loaded into a DuckDB
 * table, for the checks that read a dataset file back (`check --dataset`). DuckDB has no Arrow IPC reader
 * without an extension, which it cannot download here, so the file is read with apache-arrow and appended:
 * columns keep their Arrow types as a Parquet file's keep theirs (widths, signs, timestamp units and zones,
 * decimals, lists of numbers, booleans, texts and dates at any depth). A struct, map or other column no
 * feature can be is loaded as the JSON text of each value.
 */
import { readFileSync } from 'node:fs';
import {
  DATE, DOUBLE, FLOAT, listValue, LIST, VARCHAR, BOOLEAN, TINYINT, SMALLINT, INTEGER, BIGINT, UTINYINT, USMALLINT, UINTEGER, UBIGINT,
  DuckDBDataChunk, DuckDBDateValue, type DuckDBConnection, type DuckDBType, type DuckDBValue,
} from '@duckdb/node-api';
import { tableFromIPC, Type, type DataType, type Vector } from 'apache-arrow';
import { ident } from './engine.js';
import { columnValue, columnsFromArrow, type InColumn } from './entity-columns.js';

/** A list's leaf types: what a build writes inside a list (see `nestedArrowType` in arrow.ts). */
function leafType(type: DataType): DuckDBType | null {
  switch (type.typeId) {
    case Type.Bool: return BOOLEAN;
    case Type.Utf8: case Type.LargeUtf8: case Type.Utf8View: return VARCHAR;
    case Type.Date: return DATE;
    case Type.Float: return (type as unknown as { precision: number }).precision === 2 ? DOUBLE : FLOAT;
    case Type.Int: {
      const { bitWidth, isSigned } = type as unknown as { bitWidth: number; isSigned: boolean };
      const ints = isSigned ? { 8: TINYINT, 16: SMALLINT, 32: INTEGER, 64: BIGINT } : { 8: UTINYINT, 16: USMALLINT, 32: UINTEGER, 64: UBIGINT };
      return ints[bitWidth as 8 | 16 | 32 | 64] ?? null;
    }
    default: return null;
  }
}

/** A list type (at any depth) of leaf types, or null. */
function listType(type: DataType): DuckDBType | null {
  // A large list (64-bit offsets) is a list too: Polars writes its lists so.
  if (type.typeId !== Type.List && type.typeId !== Type.LargeList && type.typeId !== Type.FixedSizeList) return null;
  const item = type.children[0].type as DataType;
  const inner = leafType(item) ?? listType(item);
  return inner && LIST(inner);
}

/** An Arrow list value (a Vector of items, nested for lists of lists) as DuckDB's list value of `type`. */
function listOf(type: DuckDBType, v: unknown): DuckDBValue {
  if (v === null || v === undefined) return null;
  const item = (type as ReturnType<typeof LIST>).valueType;
  return listValue(Array.from(v as Iterable<unknown>, (x) => {
    if (x === null || x === undefined) return null;
    if (item.typeId === DATE.typeId) return new DuckDBDateValue(Math.floor((x as number) / 86_400_000));
    return 'valueType' in item ? listOf(item, x) : (x as DuckDBValue);
  }));
}

type Loaded =
  | { kind: 'scalar'; name: string; sql: string; column: InColumn }
  | { kind: 'list'; name: string; sql: string; type: DuckDBType; values: Vector }
  | { kind: 'text'; name: string; sql: string; values: Vector };

/** JSON text of a struct, map or other nested value (apache-arrow's rows have `toJSON`; bigints as their digits). */
const jsonText = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));

const SCALAR_TYPES = new Set<Type>([
  Type.Int, Type.Float, Type.Decimal, Type.Bool, Type.Utf8, Type.LargeUtf8, Type.Utf8View, Type.Timestamp, Type.Date, Type.Dictionary, Type.Null,
]);

/** Rows appended per data chunk: DuckDB's vector size. */
const CHUNK_ROWS = 2048;

export async function loadArrowIpcFile(conn: DuckDBConnection, table: string, file: string): Promise<void> {
  const arrow = tableFromIPC(readFileSync(file));
  const columns: Loaded[] = arrow.schema.fields.map((field, i) => {
    const vec = arrow.getChildAt(i)!;
    const list = listType(field.type);
    if (list) return { kind: 'list', name: field.name, sql: list.toString(), type: list, values: vec };
    // The types a feature, key, label or timestamp can be read from; any other column (a struct, map, binary,
    // interval, a list of lists of structs) as the JSON text of its values.
    if (!SCALAR_TYPES.has(field.type.typeId)) return { kind: 'text', name: field.name, sql: 'VARCHAR', values: vec };
    const [column] = columnsFromArrow(arrow.select([field.name]));
    return { kind: 'scalar', name: field.name, sql: column.type, column };
  });
  await conn.run(`CREATE TEMP TABLE ${ident(table)} (${columns.map((c) => `${ident(c.name)} ${c.sql}`).join(', ')})`);
  const types = (await conn.run(`SELECT * FROM ${ident(table)} LIMIT 0`)).columnTypes();
  const app = await conn.createAppender(table, 'main', 'temp');
  try {
    // Column by column, a chunk of rows at a time: a value at a time through the appender took 30 s a million rows.
    for (let start = 0; start < arrow.numRows; start += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, arrow.numRows - start);
      const chunk = DuckDBDataChunk.create(types, n);
      columns.forEach((c, i) => {
        const out = new Array<DuckDBValue>(n);
        for (let r = 0; r < n; r++) {
          const v = c.kind === 'scalar' ? c.column.values[start + r] : c.values.get(start + r);
          out[r] = v === null || v === undefined ? null : c.kind === 'scalar' ? columnValue(c.column.type, v) : c.kind === 'list' ? listOf(c.type, v) : jsonText(v);
        }
        chunk.setColumnValues(i, out);
      });
      app.appendDataChunk(chunk);
    }
    app.flushSync();
  } finally {
    app.closeSync();
  }
}
