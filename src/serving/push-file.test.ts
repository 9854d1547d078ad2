import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literal, openOfflineEngine, type OfflineEngine } from '../offline/engine.js';
import { readRowsFile } from './push-file.js';

let dir: string;
let engine: OfflineEngine;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fg-push-file-'));
  engine = await openOfflineEngine();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readRowsFile (Parquet)', () => {
  it('reads decimals with a fraction as numbers, and wide integers as numbers where JSON holds them exactly', async () => {
    const file = join(dir, 'numbers.parquet');
    await engine.run(`COPY (SELECT 2.25::DECIMAL(5,2) AS score, 7::BIGINT AS cnt, 9007199254740993::BIGINT AS big_id, 12::HUGEINT AS huge,
      42::DECIMAL(20,0) AS whole, 3::UBIGINT AS u, [1, 2]::INTEGER[] AS ints, [0.5, 1.25]::DECIMAL(4,2)[] AS decs,
      'NaN'::DOUBLE AS nan, 1.5::FLOAT AS f, 3::INTEGER AS i) TO ${literal(file)} (FORMAT parquet)`);
    const rows = await readRowsFile({ engine: async () => engine }, file);
    expect(rows).toEqual([{
      score: 2.25, cnt: 7, big_id: '9007199254740993', huge: 12, whole: 42, u: 3, ints: [1, 2], decs: [0.5, 1.25], nan: Number.NaN, f: 1.5, i: 3,
    }]);
  });
});
