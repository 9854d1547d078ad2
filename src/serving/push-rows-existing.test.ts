/**
 * `existingColumns`: the columns an offline push's file must take are the first listed file's (DuckDB reads a list of
 * files with the first file's schema), read from that file alone — not from a DESCRIBE over every file of a folder
 * that grows by one file per push (346 files: a push's median 192 ms, 88 ms after a compaction).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { literal, openOfflineEngine } from '../offline/engine.js';
import { existingColumns, offlineTarget } from './push-rows.js';

const root = mkdtempSync(join(tmpdir(), 'fg-push-existing-'));
let conn: DuckDBConnection;
beforeAll(async () => {
  conn = await (await openOfflineEngine()).connect();
});
afterAll(() => {
  conn?.closeSync();
  rmSync(root, { recursive: true, force: true });
});

const target = (folder: string, format: 'parquet' | 'csv') =>
  offlineTarget({ root, dataRoots: [] }, { kind: 'source', name: 's', path: `data/${folder}/*.${format}`, timestamp_field: 'ts' }, 'r');

async function write(folder: string, name: string, select: string, format: 'parquet' | 'csv'): Promise<void> {
  mkdirSync(join(root, 'data', folder), { recursive: true });
  await conn.run(`COPY (${select}) TO ${literal(join(root, 'data', folder, name))} (FORMAT ${format}${format === 'csv' ? ', HEADER true' : ''})`);
}

const OLD = `SELECT 'SEA' AS origin, TIMESTAMP '2026-01-01' AS ts, 1.5::DOUBLE AS v`;
const NEW = `SELECT 'SEA' AS origin, TIMESTAMP '2026-01-02' AS ts, 2.5::FLOAT AS v, 7::BIGINT AS extra`;
const columns = async (folder: string, format: 'parquet' | 'csv') => (await existingColumns(conn, target(folder, format))).map((c) => `${c.name} ${c.type}`);

describe('existingColumns of a folder whose files differ', () => {
  it.each(['parquet', 'csv'] as const)('takes the first file\'s columns, a column added in a later %s file left out, as a read of the folder does', async (format) => {
    await write(`later-${format}`, `part-a.${format}`, OLD, format);
    await write(`later-${format}`, `part-b.${format}`, NEW, format);
    const text = format === 'csv';
    expect(await columns(`later-${format}`, format)).toEqual(text ? ['origin VARCHAR', 'ts VARCHAR', 'v VARCHAR'] : ['origin VARCHAR', 'ts TIMESTAMP', 'v DOUBLE']);
    // What DuckDB reads of the whole folder (the reference), with the same columns.
    const reader = text ? `read_csv(${literal(join(root, 'data', `later-${format}`, `*.${format}`))}, header = true, all_varchar = true)` : `read_parquet(${literal(join(root, 'data', `later-${format}`, `*.${format}`))})`;
    const all = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${reader}`)).getRowObjectsJson().map((r) => `${String(r.column_name)} ${String(r.column_type)}`);
    expect(await columns(`later-${format}`, format)).toEqual(all);
  });

  it.each(['parquet', 'csv'] as const)('takes the added column when the first %s file has it', async (format) => {
    await write(`first-${format}`, `part-a.${format}`, NEW, format);
    await write(`first-${format}`, `part-b.${format}`, OLD, format);
    expect(await columns(`first-${format}`, format)).toEqual(format === 'csv'
      ? ['origin VARCHAR', 'ts VARCHAR', 'v VARCHAR', 'extra VARCHAR']
      : ['origin VARCHAR', 'ts TIMESTAMP', 'v FLOAT', 'extra BIGINT']);
  });

  it('reads nothing from an empty folder (the push writes the canonical columns)', async () => {
    mkdirSync(join(root, 'data', 'empty'), { recursive: true });
    expect(await columns('empty', 'parquet')).toEqual([]);
  });
});

describe('existingColumns of a folder of many files', () => {
  // Its cost (the per-file checks of every listed file, 96 ms for 346 files, 4.3 ms after) is a benchmark's to
  // measure, not a test's: a timed test fails on a loaded host. What a test can hold: the later files do not matter.
  it('takes the first file\'s columns whatever the later files hold, one that is no Parquet at all included', async () => {
    await write('many', 'part-0000.parquet', OLD, 'parquet');
    for (let i = 1; i < 50; i++) await write('many', `part-${String(i).padStart(4, '0')}.parquet`, OLD, 'parquet');
    writeFileSync(join(root, 'data', 'many', 'part-0050.parquet'), 'not a parquet file');
    expect(await columns('many', 'parquet')).toEqual(['origin VARCHAR', 'ts TIMESTAMP', 'v DOUBLE']);
  });
});
