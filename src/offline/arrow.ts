/**
 * DuckDB results as Apache Arrow: `@duckdb/node-api` cannot emit Arrow, so record
 * batches are assembled from DuckDB's column chunks. Fixed-width columns copy the
 * chunk's typed array and validity bitmap directly (no per-value JS objects), so
 * millions of rows stream through with little memory; text and boolean columns are written straight into Arrow's
 * buffers (arrow-utf8.ts), lists and structs go through `vectorFromArray`. Chunks are gathered into
 * record batches of about `batchRows` rows.
 *
 * Type mapping: BOOLEAN→Bool, (U)TINY/SMALL/INT/BIGINT→(Ui)nt8..64, FLOAT→Float32,
 * DOUBLE→Float64, DECIMAL(p,s)→Decimal128(p,s) (exact, as DuckDB's and pyarrow's own Arrow give it: a
 * DECIMAL(38,0) id beyond 2^53 stays that id), TIMESTAMP→Timestamp(µs, no zone: values are UTC), TIMESTAMPTZ→Timestamp(µs, UTC),
 * TIMESTAMP_S/_MS/_NS→Timestamp(s/ms/ns), DATE→Date(day),
 * VARCHAR→Utf8, lists and fixed-size arrays→List, STRUCT→Struct (of numbers, booleans, text and dates, at any
 * depth: FLOAT[] embeddings are List<Float32>); anything else→Utf8 (text: MAP, UUID, HUGEINT, INTERVAL, lists or
 * structs holding timestamps or decimals…).
 */
import {
  DuckDBTypeId, type DuckDBArrayType, type DuckDBDataChunk, type DuckDBDecimalType, type DuckDBListType, type DuckDBResult, type DuckDBStructType,
  type DuckDBType, type DuckDBVector,
} from '@duckdb/node-api';
import {
  Bool, DateDay, Decimal, Field, Float32, Float64, Int16, Int32, Int64, Int8, List, RecordBatch, RecordBatchFileWriter, RecordBatchStreamWriter,
  Schema, Struct, Table, TimestampMicrosecond, TimestampMillisecond, TimestampNanosecond, TimestampSecond, Uint16, Uint32, Uint64, Uint8, Utf8, makeData, vectorFromArray,
  type DataType, type Data,
} from 'apache-arrow';
import { BoolDataBuilder, Utf8DataBuilder } from './arrow-utf8.js';

export const DEFAULT_BATCH_ROWS = 65_536;

type Typed = Float64Array | Float32Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;
type TypedCtor = { new (n: number): Typed };

interface ColumnPlan {
  readonly name: string;
  readonly arrow: DataType;
  /** Typed array constructor for fixed-width columns copied from raw chunk memory. */
  readonly raw?: TypedCtor;
}

const FIXED: Partial<Record<DuckDBTypeId, [() => DataType, TypedCtor]>> = {
  [DuckDBTypeId.TINYINT]: [() => new Int8(), Int8Array],
  [DuckDBTypeId.SMALLINT]: [() => new Int16(), Int16Array],
  [DuckDBTypeId.INTEGER]: [() => new Int32(), Int32Array],
  [DuckDBTypeId.BIGINT]: [() => new Int64(), BigInt64Array],
  [DuckDBTypeId.UTINYINT]: [() => new Uint8(), Uint8Array],
  [DuckDBTypeId.USMALLINT]: [() => new Uint16(), Uint16Array],
  [DuckDBTypeId.UINTEGER]: [() => new Uint32(), Uint32Array],
  [DuckDBTypeId.UBIGINT]: [() => new Uint64(), BigUint64Array],
  [DuckDBTypeId.FLOAT]: [() => new Float32(), Float32Array],
  [DuckDBTypeId.DOUBLE]: [() => new Float64(), Float64Array],
  [DuckDBTypeId.TIMESTAMP]: [() => new TimestampMicrosecond(), BigInt64Array],
  // Instants: microseconds since the epoch, as TIMESTAMP stores them, with their zone (pandas reads them tz-aware).
  [DuckDBTypeId.TIMESTAMP_TZ]: [() => new TimestampMicrosecond('UTC'), BigInt64Array],
  [DuckDBTypeId.TIMESTAMP_S]: [() => new TimestampSecond(), BigInt64Array],
  [DuckDBTypeId.TIMESTAMP_MS]: [() => new TimestampMillisecond(), BigInt64Array],
  [DuckDBTypeId.TIMESTAMP_NS]: [() => new TimestampNanosecond(), BigInt64Array],
  [DuckDBTypeId.DATE]: [() => new DateDay(), Int32Array],
};

function plan(name: string, type: DuckDBType): ColumnPlan {
  const fixed = FIXED[type.typeId];
  if (fixed) return { name, arrow: fixed[0](), raw: fixed[1] };
  if (type.typeId === DuckDBTypeId.BOOLEAN) return { name, arrow: new Bool() };
  if (type.typeId === DuckDBTypeId.DECIMAL) {
    const { width, scale } = type as DuckDBDecimalType;
    return { name, arrow: new Decimal(scale, width, 128) };
  }
  const nested = type.typeId === DuckDBTypeId.LIST || type.typeId === DuckDBTypeId.ARRAY || type.typeId === DuckDBTypeId.STRUCT ? nestedArrowType(type) : null;
  return { name, arrow: nested ?? new Utf8() };
}

/** Types inside lists and structs: built from JavaScript values, so only those whose values convert exactly. */
const NESTED_LEAVES: Partial<Record<DuckDBTypeId, () => DataType>> = {
  [DuckDBTypeId.BOOLEAN]: () => new Bool(),
  [DuckDBTypeId.TINYINT]: () => new Int8(), [DuckDBTypeId.SMALLINT]: () => new Int16(), [DuckDBTypeId.INTEGER]: () => new Int32(), [DuckDBTypeId.BIGINT]: () => new Int64(),
  [DuckDBTypeId.UTINYINT]: () => new Uint8(), [DuckDBTypeId.USMALLINT]: () => new Uint16(), [DuckDBTypeId.UINTEGER]: () => new Uint32(), [DuckDBTypeId.UBIGINT]: () => new Uint64(),
  [DuckDBTypeId.FLOAT]: () => new Float32(), [DuckDBTypeId.DOUBLE]: () => new Float64(),
  [DuckDBTypeId.VARCHAR]: () => new Utf8(), [DuckDBTypeId.DATE]: () => new DateDay(),
};

/**
 * A list (or fixed-size array) or struct as Arrow's List or Struct, as Parquet keeps them, when every type inside
 * is a number, boolean, text or date, at any depth; null otherwise (the column is then text: a timestamp or
 * decimal inside would go through a JavaScript number, which loses digits).
 */
function nestedArrowType(type: DuckDBType): DataType | null {
  if (type.typeId === DuckDBTypeId.LIST || type.typeId === DuckDBTypeId.ARRAY) {
    const item = nestedArrowType((type as DuckDBListType | DuckDBArrayType).valueType);
    return item && new List(new Field('item', item, true));
  }
  if (type.typeId === DuckDBTypeId.STRUCT) {
    const { entryNames, entryTypes } = type as DuckDBStructType;
    const fields: Field[] = [];
    for (let i = 0; i < entryTypes.length; i++) {
      const t = nestedArrowType(entryTypes[i]);
      if (t === null) return null;
      fields.push(new Field(entryNames[i], t, true));
    }
    return fields.length > 0 ? new Struct(fields) : null;
  }
  return NESTED_LEAVES[type.typeId]?.() ?? null;
}

/** A DuckDB value inside a list or struct as the JavaScript value apache-arrow's builders take for `type`. */
function nestedValue(type: DataType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (type instanceof List) return Array.from((v as { items: readonly unknown[] }).items, (x) => nestedValue(type.children[0].type, x));
  if (type instanceof Struct) {
    const entries = (v as { entries: Readonly<Record<string, unknown>> }).entries;
    return Object.fromEntries(type.children.map((f) => [f.name, nestedValue(f.type, entries[f.name])]));
  }
  if (type instanceof DateDay) return (v as { days: number }).days * 86_400_000;
  return v;
}

/** The Arrow schema a result converts to. */
export function arrowSchemaOf(result: DuckDBResult): Schema {
  const names = result.columnNames();
  return new Schema(result.columnTypes().map((t, i) => new Field(names[i], plan(names[i], t).arrow, true)));
}

interface RawVector {
  items?: Typed;
  validity?: { data: BigUint64Array | null; offset: number };
}

/** Collects one column of one batch from successive chunks. */
class ColumnCollector {
  private parts: { vec: DuckDBVector; n: number }[] = [];
  constructor(readonly plan: ColumnPlan) {}
  add(vec: DuckDBVector, n: number): void {
    this.parts.push({ vec, n });
  }
  build(length: number): Data {
    const p = this.plan;
    const parts = this.parts;
    this.parts = [];
    if (p.raw && parts.every((x) => (x.vec as unknown as RawVector).items !== undefined)) {
      const values = new p.raw(length);
      const bitmap = new Uint8Array((length + 7) >> 3);
      let nulls = 0;
      let at = 0;
      for (const { vec, n } of parts) {
        const raw = vec as unknown as RawVector;
        (values as unknown as { set(a: ArrayLike<unknown>, o: number): void }).set(raw.items!.subarray(0, n) as ArrayLike<unknown>, at);
        const valid = raw.validity?.data ?? null;
        const off = raw.validity?.offset ?? 0;
        if (valid === null) {
          for (let i = 0; i < n; i++) bitmap[(at + i) >> 3] |= 1 << ((at + i) & 7);
        } else {
          const bytes = new Uint8Array(valid.buffer, valid.byteOffset, valid.byteLength);
          for (let i = 0; i < n; i++) {
            const b = off + i;
            if ((bytes[b >> 3] >> (b & 7)) & 1) bitmap[(at + i) >> 3] |= 1 << ((at + i) & 7);
            else nulls++;
          }
        }
        at += n;
      }
      return makeData({ type: p.arrow, length, nullCount: nulls, nullBitmap: nulls > 0 ? bitmap : null, data: values } as never);
    }
    if (p.arrow instanceof Decimal) return decimalData(p.arrow, parts, length);
    if (p.arrow instanceof Utf8) return utf8Data(parts, length);
    if (p.arrow instanceof Bool) return boolData(parts, length);
    const values: unknown[] = [];
    for (const { vec, n } of parts) {
      for (let i = 0; i < n; i++) values.push(nestedValue(p.arrow, vec.getItem(i)));
    }
    return vectorFromArray(values, p.arrow).data[0];
  }
}

/**
 * A VARCHAR column, or any column given as text, as Utf8, written straight into Arrow's buffers. `getItem` is the
 * only public way @duckdb/node-api reads a VARCHAR vector (its raw string_t view is private).
 */
function utf8Data(parts: readonly { vec: DuckDBVector; n: number }[], length: number): Data {
  const b = new Utf8DataBuilder(length);
  for (const { vec, n } of parts) {
    for (let i = 0; i < n; i++) {
      const v = vec.getItem(i) as unknown;
      b.append(v === null || v === undefined ? null : typeof v === 'string' ? v : String(v));
    }
  }
  return b.finish();
}

function boolData(parts: readonly { vec: DuckDBVector; n: number }[], length: number): Data {
  const b = new BoolDataBuilder(length);
  for (const { vec, n } of parts) {
    for (let i = 0; i < n; i++) {
      const v = vec.getItem(i) as unknown;
      b.append(v === null || v === undefined ? null : Boolean(v));
    }
  }
  return b.finish();
}

/**
 * A DECIMAL column as Decimal128: each value's unscaled integer (DuckDB stores it in 16, 32, 64 or 128 bits by
 * width) as 128-bit two's complement, little-endian, as Arrow lays it out.
 */
function decimalData(type: Decimal, parts: readonly { vec: DuckDBVector; n: number }[], length: number): Data {
  const words = new BigUint64Array(length * 2);
  const bitmap = new Uint8Array((length + 7) >> 3);
  let nulls = 0;
  let at = 0;
  for (const { vec, n } of parts) {
    const scaled = vec as unknown as { getScaledValue(i: number): number | bigint | null };
    for (let i = 0; i < n; i++, at++) {
      const v = scaled.getScaledValue(i);
      if (v === null) {
        nulls++;
        continue;
      }
      const x = BigInt(v);
      words[2 * at] = BigInt.asUintN(64, x);
      words[2 * at + 1] = BigInt.asUintN(64, x >> 64n);
      bitmap[at >> 3] |= 1 << (at & 7);
    }
  }
  const data = new Uint32Array(words.buffer);
  return makeData({ type, length, nullCount: nulls, nullBitmap: nulls > 0 ? bitmap : null, data } as never);
}

/**
 * Stream a DuckDB result as Arrow record batches of about `batchRows` rows,
 * converting chunk by chunk.
 */
export async function* arrowBatches(result: DuckDBResult, batchRows = DEFAULT_BATCH_ROWS): AsyncGenerator<RecordBatch> {
  const schema = arrowSchemaOf(result);
  const types = result.columnTypes();
  const collectors = types.map((t, i) => new ColumnCollector(plan(schema.fields[i].name, t)));
  let pending = 0;
  const flush = (): RecordBatch => {
    const children = collectors.map((c) => c.build(pending));
    const data = makeData({ type: new Struct(schema.fields), length: pending, nullCount: 0, children });
    pending = 0;
    return new RecordBatch(schema, data);
  };
  let chunk: DuckDBDataChunk | null;
  while ((chunk = await result.fetchChunk()) !== null && chunk.rowCount > 0) {
    const n = chunk.rowCount;
    for (let c = 0; c < collectors.length; c++) collectors[c].add(chunk.getColumnVector(c), n);
    pending += n;
    if (pending >= batchRows) yield flush();
  }
  if (pending > 0) yield flush();
}

/** A whole result as an in-memory Arrow table (an empty result keeps its schema). */
export async function arrowTableFromResult(result: DuckDBResult, batchRows = DEFAULT_BATCH_ROWS): Promise<Table> {
  const schema = arrowSchemaOf(result);
  const batches: RecordBatch[] = [];
  for await (const b of arrowBatches(result, batchRows)) batches.push(b);
  return batches.length ? new Table(batches) : new Table(schema);
}

/** Give a writer a synchronous byte sink we can drain after each batch (apache-arrow queues bytes otherwise). */
function drainable<W extends RecordBatchStreamWriter | RecordBatchFileWriter>(writer: W): { writer: W; drain(): Uint8Array[] } {
  let out: Uint8Array[] = [];
  const w = writer as unknown as { _write(chunk: unknown): unknown; _started: boolean; _position: number };
  w._write = function (chunk: unknown) {
    if (this._started && chunk && ArrayBuffer.isView(chunk) && chunk.byteLength > 0) {
      out.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this._position += chunk.byteLength;
    }
    return this;
  };
  return {
    writer,
    drain() {
      const d = out;
      out = [];
      return d;
    },
  };
}

/**
 * Arrow IPC bytes for a result, produced as the chunks arrive: the `stream`
 * format (for HTTP) or the `file` format (Feather v2, `.arrow`).
 */
export async function* arrowIpcChunks(result: DuckDBResult, format: 'stream' | 'file' = 'stream', batchRows = DEFAULT_BATCH_ROWS): AsyncGenerator<Uint8Array> {
  const { writer, drain } = drainable(format === 'file' ? new RecordBatchFileWriter() : new RecordBatchStreamWriter());
  let wrote = false;
  for await (const batch of arrowBatches(result, batchRows)) {
    writer.write(batch);
    wrote = true;
    yield* drain();
  }
  if (!wrote) writer.write(new Table(arrowSchemaOf(result)));
  writer.finish();
  yield* drain();
}
