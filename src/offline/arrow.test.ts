import { tableFromIPC, type Table } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { arrowIpcChunks, arrowTableFromResult } from './arrow.js';
import { openOfflineEngine } from './engine.js';

/** One row of every timestamp type DuckDB has, and a row of nulls. */
const SQL = `SELECT * FROM (VALUES
  (TIMESTAMP '2024-01-01 05:00:00.123456', TIMESTAMPTZ '2024-01-01 07:00:00.123456+02:00', '2024-01-01 05:00:01'::TIMESTAMP_S,
   '2024-01-01 05:00:00.5'::TIMESTAMP_MS, '2024-01-01 05:00:00.123456789'::TIMESTAMP_NS),
  (NULL, NULL, NULL, NULL, NULL)) t(us, tz, s, ms, ns)`;

/** `sql`'s result as Arrow two ways: a table built in memory, and IPC bytes (`ipc` format) read back. */
async function bothWays(sql: string, ipc: 'stream' | 'file'): Promise<Table[]> {
  const conn = await (await openOfflineEngine()).connect();
  try {
    const chunks: Uint8Array[] = [];
    for await (const c of arrowIpcChunks(await conn.stream(sql), ipc)) chunks.push(c);
    return [await arrowTableFromResult(await conn.stream(sql)), tableFromIPC(Buffer.concat(chunks))];
  } finally {
    conn.closeSync();
  }
}

describe('Arrow from DuckDB results', () => {
  it('keeps every timestamp type a timestamp, exactly, in memory and over IPC (TIMESTAMPTZ was text)', async () => {
    for (const table of await bothWays(SQL, 'stream')) {
      expect(table.schema.fields.map((f) => String(f.type))).toEqual([
        'Timestamp<MICROSECOND>', 'Timestamp<MICROSECOND, UTC>', 'Timestamp<SECOND>', 'Timestamp<MILLISECOND>', 'Timestamp<NANOSECOND>',
      ]);
      const raw = table.schema.fields.map((f) => {
        const d = table.getChild(f.name)!.data[0];
        return [(d.values as BigInt64Array)[0], d.getValid(1)];
      });
      expect(raw).toEqual([[1704085200123456n, false], [1704085200123456n, false], [1704085201n, false], [1704085200500n, false], [1704085200123456789n, false]]);
    }
  });

  it('gives DECIMAL as Decimal128 with its precision and scale, exact (a DECIMAL(38,0) id beyond 2^53 was rounded to a Float64)', async () => {
    const sql = `SELECT * FROM (VALUES
      (12345678901234567891::DECIMAL(38,0), -12.34::DECIMAL(4,2), 123456789012345.678::DECIMAL(18,3), -5::DECIMAL(9,0), -12345678901234567891234567890123456789::DECIMAL(38,0)),
      (12345678901234567892::DECIMAL(38,0), NULL, -0.001::DECIMAL(18,3), 99999::DECIMAL(9,0), 0::DECIMAL(38,0))) t(id, small, mid, int32, huge)`;
    for (const table of await bothWays(sql, 'file')) {
      expect(table.schema.fields.map((f) => [f.name, String(f.type)])).toEqual([
        ['id', 'Decimal[38e0]'], ['small', 'Decimal[4e+2]'], ['mid', 'Decimal[18e+3]'], ['int32', 'Decimal[9e0]'], ['huge', 'Decimal[38e0]'],
      ]);
      // The unscaled integers (apache-arrow prints those; the scale is the type's).
      const values = table.schema.fields.map((f) => [...table.getChild(f.name)!].map((v) => (v === null ? null : String(v))));
      expect(values).toEqual([
        ['12345678901234567891', '12345678901234567892'], ['-1234', null], ['123456789012345678', '-1'], ['-5', '99999'],
        ['-12345678901234567891234567890123456789', '0'],
      ]);
    }
  });

  it('gives lists and structs as List and Struct, as Parquet keeps them (an INTEGER[] or a STRUCT was text); ones holding timestamps stay text', async () => {
    const sql = `SELECT * FROM (VALUES
      ([1, NULL, 3]::INTEGER[], {'a': 1, 'b': 'x', 'c': [1.5, NULL]::DOUBLE[], 'd': DATE '2024-01-02'}, [[9007199254740993]]::BIGINT[][], [0.5, 1.5]::FLOAT[2],
       [{'ok': true}], {'t': TIMESTAMP '2024-01-01'}, MAP {'k': 1}),
      (NULL, NULL, [], NULL, [], NULL, NULL)) t(ints, st, deep, arr, los, ts, m)`;
    for (const table of await bothWays(sql, 'file')) {
      expect(table.schema.fields.map((f) => [f.name, String(f.type)])).toEqual([
        ['ints', 'List<Int32>'], ['st', 'Struct<{a:Int32, b:Utf8, c:List<Float64>, d:Date32<DAY>}>'], ['deep', 'List<List<Int64>>'], ['arr', 'List<Float32>'],
        ['los', 'List<Struct<{ok:Bool}>>'], ['ts', 'Utf8'], ['m', 'Utf8'],
      ]);
      const plain = (v: unknown) => JSON.parse(JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? String(x) : x)));
      const rows = table.toArray().map((r) => plain(r.toJSON()));
      expect(rows).toEqual([
        { ints: [1, null, 3], st: { a: 1, b: 'x', c: [1.5, null], d: Date.UTC(2024, 0, 2) }, deep: [['9007199254740993']], arr: [0.5, 1.5], los: [{ ok: true }], ts: "{'t': 2024-01-01 00:00:00}", m: "{'k': 1}" },
        { ints: null, st: null, deep: [], arr: null, los: [], ts: null, m: null },
      ]);
    }
  });
});

describe('Arrow text and boolean columns', () => {
  it('gives VARCHAR, BOOLEAN and text-fallback columns value for value as DuckDB holds them, across chunks and batches', async () => {
    // 5000 rows: 3 DuckDB chunks, 2 record batches of up to 3000; inline (≤ 12 bytes) and pointer strings, astral characters, '' and NULLs.
    const sql = `SELECT
        CASE WHEN i % 11 = 0 THEN NULL WHEN i % 13 = 0 THEN '' ELSE repeat(chr(CAST(32 + (i * 7919) % 1200 AS INTEGER)) || chr(CAST(128512 + i % 80 AS INTEGER)), CAST(i % 17 AS INTEGER)) END AS s,
        CASE WHEN i % 5 = 0 THEN NULL ELSE i % 3 = 0 END AS b,
        CASE WHEN i % 9 = 0 THEN NULL ELSE INTERVAL (i) MINUTE END AS iv,
        'all' AS c
      FROM range(5000) t(i)`;
    const conn = await (await openOfflineEngine()).connect();
    try {
      const expected = (await conn.runAndReadAll(`SELECT s, b, CAST(iv AS VARCHAR) AS iv, c FROM (${sql})`)).getRowObjectsJS();
      const chunks: Uint8Array[] = [];
      for await (const c of arrowIpcChunks(await conn.stream(sql), 'stream', 3000)) chunks.push(c);
      for (const table of [await arrowTableFromResult(await conn.stream(sql), 3000), tableFromIPC(Buffer.concat(chunks))]) {
        expect(table.batches.map((b) => b.numRows)).toEqual([4096, 904]);
        expect(table.schema.fields.map((f) => String(f.type))).toEqual(['Utf8', 'Bool', 'Utf8', 'Utf8']);
        expect(table.toArray().map((r) => ({ ...r.toJSON() }))).toEqual(expected);
      }
    } finally {
      conn.closeSync();
    }
  });
});
