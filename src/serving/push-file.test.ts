import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literal, openOfflineEngine, type OfflineEngine } from '../offline/engine.js';
import { defineEntity, defineFeatureView, defineSource } from '../definitions/define.js';
import type { DefinitionSet } from '../definitions/types.js';
import { readRowsFile, textColumnsOf } from './push-file.js';

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

  it("keeps a BIGINT of the view's string columns (a string key or feature, by name or source column) as its digits", async () => {
    const file = join(dir, 'ids.parquet');
    await engine.run(`COPY (SELECT 7::BIGINT AS user_id, 8::BIGINT AS "ACCOUNT", 9::BIGINT AS cnt) TO ${literal(file)} (FORMAT parquet)`);
    const user = defineEntity({ name: 'user', join_keys: [{ name: 'user_id', type: 'string' }] });
    const source = defineSource({ name: 's', path: 'data/s.parquet', timestamp_field: 'ts', field_mapping: { ACCOUNT: 'account' } });
    const view = defineFeatureView({ name: 'v', entities: ['user'], source: 's', features: [{ name: 'account', type: 'string' }, { name: 'cnt', type: 'int64' }] });
    const set = { entities: new Map([['user', user]]), sources: new Map([['s', source]]), views: new Map([['v', view]]), services: new Map() } as unknown as DefinitionSet;
    const text = textColumnsOf(set, 'v');
    expect([...text].sort()).toEqual(['ACCOUNT', 'account', 'user_id']);
    expect(await readRowsFile({ engine: async () => engine }, file, text)).toEqual([{ user_id: '7', ACCOUNT: '8', cnt: 9 }]);
    expect(textColumnsOf(set, 'nope').size).toBe(0);
  });
});
