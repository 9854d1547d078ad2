import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  Field, Float64, Int64, LargeList, List, Struct, Table, TimestampMicrosecond, Utf8, tableToIPC, vectorFromArray,
} from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { loadArrowIpcFile } from './arrow-file.js';

const dir = mkdtempSync(join(tmpdir(), 'fg-arrow-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A double as DuckDB casts it to text inside a list (`2.0`, `1.5`, `nan`). */
const duckDouble = (x: number) => (Number.isNaN(x) ? 'nan' : Number.isInteger(x) ? x.toFixed(1) : String(x));

describe('loadArrowIpcFile', () => {
  it('reads lists with 32- and 64-bit offsets (Polars writes large lists) as lists, a struct as its JSON, keeping each value', async () => {
    const n = 5;
    const item = () => new Field('item', new Float64(), true);
    const lists = Array.from({ length: n }, (_, i) => (i === 2 ? null : [i * 1.5, i === 3 ? Number.NaN : 2]));
    const table = new Table({
      id: vectorFromArray(Array.from({ length: n }, (_, i) => 9_007_199_254_740_993n + BigInt(i)), new Int64()),
      at: vectorFromArray(Array.from({ length: n }, (_, i) => new Date(Date.UTC(2024, 0, 1, i))), new TimestampMicrosecond()),
      name: vectorFromArray(Array.from({ length: n }, (_, i) => (i === 1 ? null : `n${i}`)), new Utf8()),
      small: vectorFromArray(lists, new List(item())),
      large: vectorFromArray(lists, new LargeList(item())),
      meta: vectorFromArray(Array.from({ length: n }, (_, i) => ({ k: `v${i}` })), new Struct([new Field('k', new Utf8(), true)])),
    });
    const file = join(dir, 'lists.arrow');
    writeFileSync(file, tableToIPC(table, 'file'));
    const conn = await (await DuckDBInstance.create(':memory:')).connect();
    await loadArrowIpcFile(conn, 't', file);
    const types = (await conn.runAndReadAll('DESCRIBE t')).getRowObjectsJson().map((r) => `${String(r.column_name)} ${String(r.column_type)}`);
    expect(types).toEqual(['id BIGINT', 'at TIMESTAMP', 'name VARCHAR', 'small DOUBLE[]', 'large DOUBLE[]', 'meta VARCHAR']);
    const rows = (await conn.runAndReadAll(`SELECT id::VARCHAR AS id, strftime("at", '%Y-%m-%dT%H') AS "at", name, small::VARCHAR AS small, "large"::VARCHAR AS "large", meta FROM t`)).getRowObjectsJson();
    expect(rows).toEqual(lists.map((l, i) => ({
      id: String(9_007_199_254_740_993n + BigInt(i)),
      at: `2024-01-01T${String(i).padStart(2, '0')}`,
      name: i === 1 ? null : `n${i}`,
      small: l === null ? null : `[${l.map(duckDouble).join(', ')}]`,
      large: l === null ? null : `[${l.map(duckDouble).join(', ')}]`,
      meta: JSON.stringify({ k: `v${i}` }),
    })));
  });
});
