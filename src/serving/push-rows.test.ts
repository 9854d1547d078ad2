import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SourceDef } from '../definitions/types.js';
import { openOfflineEngine } from '../offline/engine.js';
import fc from 'fast-check';
import { queryReadsFile, sourceReadsFile } from './push-readers.js';
import { loadPushTable, microsToRfc3339, offlineTarget, rfc3339ToMicros, rfc3339ToMicrosBig, rowsFromColumns, type PushColumn } from './push-rows.js';

const root = mkdtempSync(join(tmpdir(), 'fg-push-rows-'));
mkdirSync(join(root, 'data', 'dir'), { recursive: true });
afterAll(() => rmSync(root, { recursive: true, force: true }));
const src = (path: string, extra: Partial<SourceDef> = {}): SourceDef => ({ kind: 'source', name: 's', path, timestamp_field: 'ts', ...extra });
const now = new Date('2026-01-02T03:04:05.678Z');

describe('timestamps', () => {
  it('keeps microseconds', () => {
    expect(rfc3339ToMicros('2001-01-01T00:00:00Z')).toBe(Date.UTC(2001, 0, 1) * 1000);
    expect(rfc3339ToMicros('2001-01-01T00:00:00.123456Z')).toBe(Date.UTC(2001, 0, 1) * 1000 + 123456);
    expect(rfc3339ToMicros('2001-01-01T02:00:00.5+02:00')).toBe(Date.UTC(2001, 0, 1) * 1000 + 500000);
    expect(() => rfc3339ToMicros('soon')).toThrow(/invalid timestamp/);
  });

  it('writes microseconds as DuckDB prints materialized timestamps (strftime %f), for any instant of years 1-9999 (property)', async () => {
    const conn = await (await openOfflineEngine()).connect();
    const lo = -62135596800000000n; // 0001-01-01
    const hi = 253402300799999999n; // 9999-12-31T23:59:59.999999
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.bigInt({ min: lo, max: hi }), { minLength: 1, maxLength: 50 }), async (us) => {
          const want = (await conn.runAndReadAll(`SELECT strftime(make_timestamp(v), '%Y-%m-%dT%H:%M:%S.%fZ') AS t FROM unnest([${us.join(', ')}]::BIGINT[]) u(v)`)).getRowObjectsJson().map((r) => r.t);
          expect(us.map(microsToRfc3339)).toEqual(want);
          // And back: the text names the same instant.
          expect(us.map((u) => rfc3339ToMicrosBig(microsToRfc3339(u)))).toEqual(us);
        }),
        { numRuns: 40 },
      );
    } finally {
      conn.closeSync();
    }
  });
});

describe('offlineTarget', () => {
  it('names a file the glob matches, with time and run id', () => {
    const t = offlineTarget({ root, dataRoots: [] }, src('data/hourly/part-*.parquet'), 'run1', now);
    expect(t).toMatchObject({ dir: join(root, 'data/hourly'), file: 'part-push-20260102T030405678Z-run1.parquet', format: 'parquet' });
    expect(offlineTarget({ root, dataRoots: [] }, src('data/**/*.csv'), 'r', now)).toMatchObject({ dir: join(root, 'data'), file: 'push-20260102T030405678Z-r.csv', format: 'csv' });
  });

  it('writes into a folder source', () => {
    expect(offlineTarget({ root, dataRoots: [] }, src('data/dir'), 'r', now)).toMatchObject({ dir: join(root, 'data/dir'), file: 'push-20260102T030405678Z-r.parquet' });
  });

  it('refuses single files, tables, queries and odd globs', () => {
    expect(() => offlineTarget({ root, dataRoots: [] }, src('data/one.parquet'), 'r')).toThrow(/single file/);
    expect(() => offlineTarget({ root, dataRoots: [] }, { kind: 'source', name: 's', query: 'SELECT 1', timestamp_field: 'ts' }, 'r')).toThrow(/only `path` sources/);
    expect(() => offlineTarget({ root, dataRoots: [] }, src('data/*/x.parquet'), 'r')).toThrow(/folder name/);
    expect(() => offlineTarget({ root, dataRoots: [] }, src('data/x?.parquet'), 'r')).toThrow(/other than '\*'/);
    // A source the roots no longer hold (data_roots changed since the apply) takes no file either.
    expect(() => offlineTarget({ root, dataRoots: [] }, src('/elsewhere/*.parquet'), 'r')).toThrow(/is outside the project root/);
  });
});

describe('sourceReadsFile', () => {
  it("tells whether another source's path takes a pushed file, as DuckDB's glob would", () => {
    const roots = { root, dataRoots: [] };
    const file = join(root, 'data/hourly/push-20260102T030405678Z-r.parquet');
    for (const p of ['data/hourly/*.parquet', 'data/**/*.parquet', 'data/*/*.parquet', 'data/hour?y/push-*', 'data/[gh]ourly/*', 'data/hourly']) {
      expect(sourceReadsFile(roots, src(p), file), p).toBe(true);
    }
    for (const p of ['data/hourly/*.csv', 'data/*.parquet', 'data/daily/*.parquet', 'data/hourly/part-*.parquet', 'data/[!h]ourly/*', 'data', 'data/hourly/one.parquet']) {
      expect(sourceReadsFile(roots, src(p), file), p).toBe(false);
    }
    expect(sourceReadsFile(roots, { kind: 'source', name: 's', query: 'SELECT 1', timestamp_field: 'ts' }, file)).toBe(false);
  });
});

describe('queryReadsFile', () => {
  it("tells whether a query source's SQL reads a pushed file, and when that cannot be told from it", async () => {
    const roots = { root, dataRoots: [] };
    const file = join(root, 'data/hourly/push-20260102T030405678Z-r.parquet');
    const conn = await (await openOfflineEngine()).connect();
    try {
      const reads = (sql: string) => queryReadsFile(conn, roots, sql, file);
      for (const sql of [
        "SELECT * FROM read_parquet('data/hourly/*.parquet', union_by_name = true)",
        "SELECT * FROM 'data/**/*.parquet'",
        "SELECT * FROM read_parquet(['data/daily/a.parquet', 'data/hourly/push-*.parquet'])",
        `SELECT * FROM read_parquet('${join(root, 'data/hourly')}/*')`,
        "SELECT a.* FROM 'data/daily/x.parquet' a JOIN (SELECT * FROM read_parquet('data/hourly/*.parquet')) b USING (id)",
        "SELECT * FROM query('SELECT * FROM read_parquet(''data/hourly/*.parquet'')')",
      ]) expect(await reads(sql), sql).toBe(true);
      for (const sql of ["SELECT * FROM read_parquet('data/daily/*.parquet')", "SELECT * FROM 'data/hourly/part-0.parquet'", 'SELECT 1 AS ts', 'SELECT * FROM range(3)']) {
        expect(await reads(sql), sql).toBe(false);
      }
      for (const sql of [
        "SELECT * FROM read_parquet('data/' || 'hourly/*.parquet')",
        "SELECT * FROM read_parquet((SELECT list(file) FROM glob('data/*') WHERE file LIKE '%.parquet')))",
        "SELECT * FROM read_parquet(getvariable('files'))",
        "SELECT * FROM query('SELECT * FROM read_parquet(''data/'' || ''x.parquet'')')",
      ]) expect(await reads(sql), sql).toBeUndefined();
    } finally {
      conn.closeSync();
    }
  });
});

describe('rowsFromColumns', () => {
  it('turns Feast columns into rows and rejects ragged columns', () => {
    expect(rowsFromColumns({ a: [1, 2], b: ['x', 'y'] })).toEqual([{ a: 1, b: 'x' }, { a: 2, b: 'y' }]);
    expect(() => rowsFromColumns({ a: [1, 2], b: ['x'] })).toThrow(/same length/);
  });

  it("reads {index: value} columns (pandas' default orient) as pandas does: the union of the index keys, first seen first", () => {
    // pd.DataFrame({'a': {'x': 1, 'w': 2}, 'b': {'w': 3, 'v': 4}, 'c': 'k'}): index ['x', 'w', 'v'], NaN where a column lacks one.
    expect(rowsFromColumns({ a: { x: 1, w: 2 }, b: { w: 3, v: 4 }, c: 'k' })).toEqual([
      { a: 1, b: null, c: 'k' }, { a: 2, b: 3, c: 'k' }, { a: null, b: 4, c: 'k' },
    ]);
    // Integer keys (a RangeIndex written by to_json / to_dict) come in ascending order, as JSON.parse gives them:
    // index columns line up by key, whatever order each was sent in.
    expect(rowsFromColumns(JSON.parse('{"a": {"1": "JFK", "0": "SEA"}, "b": {"0": 1, "1": 2}, "c": "k"}'))).toEqual([
      { a: 'SEA', b: 1, c: 'k' }, { a: 'JFK', b: 2, c: 'k' },
    ]);
    expect(rowsFromColumns({ a: {} })).toEqual([]);
  });

  it('refuses any mix of list and {index: value} columns (JSON.parse reorders integer keys, a list keeps pandas\' order)', () => {
    // pandas' order was 1, 0 (a sorted frame): the list column follows it, the index column is parsed as 0, 1.
    const mixed = () => rowsFromColumns(JSON.parse('{"origin": {"1": "JFK", "0": "SEA"}, "dep_delay": [10, 20]}'), 'df', 'invalid_rows');
    expect(mixed).toThrow(/'df' mixes column shapes/);
    expect(mixed).toThrow(expect.objectContaining({ code: 'invalid_rows', details: expect.objectContaining({ list_columns: ['dep_delay'], index_columns: ['origin'] }) }));
    // Same lengths or not, and whatever the keys: always one refusal.
    expect(() => rowsFromColumns({ a: { 0: 1, 1: 2 }, b: [1, 2, 3] })).toThrow(/mixes column shapes.*'b'.*2 index keys/);
    expect(() => rowsFromColumns({ a: { x: 1 }, b: [1] })).toThrow(/mixes column shapes.*1 index key[^s]/);
    expect(() => rowsFromColumns({ a: [1, 2], b: {} })).toThrow(/mixes column shapes.*0 index keys/);
  });
});

describe('loadPushTable', () => {
  const columns: PushColumn[] = [
    { name: 's', type: 'string' },
    { name: 'b', type: 'bool' },
    { name: 'i32', type: 'int32' },
    { name: 'i64', type: 'int64' },
    { name: 'f32', type: 'float32' },
    { name: 'f64', type: 'float64' },
    { name: 'ts', type: 'timestamp' },
    { name: 'v32', type: 'float32[]' },
    { name: 'v64', type: 'float64[]' },
  ];

  it('loads every type exactly, with no SQL built from the values', async () => {
    const conn = await (await openOfflineEngine()).connect();
    try {
      await loadPushTable(conn, 'push_rows_test', columns, [
        { s: "\u0000'); DROP TABLE push_rows_test; --", b: true, i32: -2147483648, i64: '123456789012345', f32: 1.5, f64: -0.1, ts: '9999-12-31T23:59:59.999999Z', v32: [1.5, -2], v64: [] },
        { s: null, b: false, i32: null, i64: -9007199254740991, f32: null, f64: 1e308, ts: '2001-01-01T02:00:00.000001+02:00', v32: null, v64: [0.1, 0.2] },
      ]);
      const rows = (await conn.runAndReadAll(
        `SELECT s, b, i32, i64::VARCHAR AS i64, f32, f64, strftime(ts, '%Y-%m-%dT%H:%M:%S.%fZ') AS ts, v32, v64 FROM push_rows_test ORDER BY rowid`,
      )).getRowObjectsJS();
      expect(rows).toEqual([
        { s: "\u0000'); DROP TABLE push_rows_test; --", b: true, i32: -2147483648, i64: '123456789012345', f32: 1.5, f64: -0.1, ts: '9999-12-31T23:59:59.999999Z', v32: [1.5, -2], v64: [] },
        { s: null, b: false, i32: null, i64: '-9007199254740991', f32: null, f64: 1e308, ts: '2001-01-01T00:00:00.000001Z', v32: null, v64: [0.1, 0.2] },
      ]);
    } finally {
      await conn.run('DROP TABLE IF EXISTS push_rows_test');
      conn.closeSync();
    }
  });

  it('names a row DuckDB refuses as the other push refusals do, counting from 0 and saying so (details.row the same number)', async () => {
    const conn = await (await openOfflineEngine()).connect();
    try {
      const rows = [{ ts: '2001-01-01T00:00:00Z' }, { ts: '2001-01-01T00:00:01Z' }, { ts: 'soon' }];
      const e = await loadPushTable(conn, 'push_rows_bad', [{ name: 'ts', type: 'timestamp' }], rows).then(() => null, (x: Error & { details?: unknown; code?: string }) => x);
      expect(e).toMatchObject({ code: 'invalid_rows', details: { row: 2 } });
      expect(e!.message).toBe("pushed row 2 (counting from 0) could not be loaded: invalid timestamp 'soon'");
    } finally {
      await conn.run('DROP TABLE IF EXISTS push_rows_bad');
      conn.closeSync();
    }
  });
});
