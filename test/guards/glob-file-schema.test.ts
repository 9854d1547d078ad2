/**
 * A Parquet glob's later file holding a column read in another type, or lacking it, makes a materialization
 * or `check` blocked (`schema.type` / `schema.missing_column` naming the file), as the README's schema row
 * promises: not a failed run, and none of its values cast into the first file's types. The online store stays
 * as it was.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkView } from '../../src/guards/check-run.js';
import { materialize } from '../../src/materialize/materialize.js';
import { literal } from '../../src/offline/engine.js';
import { getOnlineFeatures } from '../../src/serving/online-features.js';
import { DEFAULT_SOURCE, guardBench, type GuardBench } from './helpers.js';

let bench: GuardBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

const FEATURES = [
  { name: 'delay', type: 'float64' as const },
  { name: 'carrier', type: 'string' as const },
  { name: 'flights', type: 'int64' as const },
];
const SOURCE = `SELECT *, (10 + i % 7)::BIGINT AS flights FROM (${DEFAULT_SOURCE.replace('AS carrier', 'AS carrier, i')})`;
/** The same rows a month later: a file landing in the glob after the first was materialized. */
const LATER = `SELECT * REPLACE (ts + INTERVAL 31 DAY AS ts, created + INTERVAL 31 DAY AS created) FROM (${SOURCE})`;

async function online(b: GuardBench) {
  const r = await getOnlineFeatures(b.project, { features: ['delays:delay', 'delays:flights'], entities: { airport: ['SEA', 'JFK'] } });
  return r.results.slice(1).map((x) => x.values);
}

describe("a Parquet glob's later file with a retyped or missing column", () => {
  it.each([
    ['delay written as text', `SELECT * REPLACE (CAST(round(delay, 2) AS VARCHAR) AS delay) FROM (${LATER})`, 'type', 'delay', "has column 'delay' as VARCHAR"],
    ['delay holding words', `SELECT * REPLACE (CASE WHEN i % 50 = 0 THEN 'n/a' ELSE CAST(delay AS VARCHAR) END AS delay) FROM (${LATER})`, 'type', 'delay', "has column 'delay' as VARCHAR"],
    ['flights as a double with fractions', `SELECT * REPLACE (flights + 0.6 AS flights) FROM (${LATER})`, 'type', 'flights', "has column 'flights' as DECIMAL"],
    ['carrier dropped', `SELECT * EXCLUDE (carrier) FROM (${LATER})`, 'missing_column', 'carrier', "has no column 'carrier'"],
    ['the join key as an integer', `SELECT * REPLACE (length(airport)::INTEGER AS airport) FROM (${LATER})`, 'type', 'airport', "has column 'airport' as INTEGER"],
  ])('%s: materialize and check are blocked naming the file', async (_name, broken, method, feature, says) => {
    bench = await guardBench({ features: FEATURES, sourceGlob: true });
    await bench.writeSource(SOURCE);
    const [ok] = await materialize(bench.project, { start: '2024-01-01', end: '2024-01-08' });
    expect(ok.status, ok.message ?? '').toBe('success');
    const before = await online(bench);

    await bench.conn.run(`COPY (${broken}) TO ${literal(join(bench.dir, 'data', 'rows', 'part-1.parquet'))} (FORMAT parquet)`);
    const [r] = await materialize(bench.project, { start: '2024-02-01', end: '2024-02-08' });
    expect(r.status, r.message ?? '').toBe('blocked');
    const found = r.checks.find((c) => c.check === 'schema' && c.method === method && c.feature === feature && c.status === 'fail');
    expect(found?.message).toMatch(new RegExp(`^'data/rows/part-1\\.parquet' \\(matched by 'data/rows/\\*\\.parquet'\\) ${says.replace(/[()]/g, '\\$&')}`));
    expect(found?.details).toMatchObject({ file: 'data/rows/part-1.parquet', first_file: 'data/rows/part-0.parquet' });
    expect(r.entitiesWritten).toBe(0);
    expect(await online(bench)).toEqual(before);

    const c = await checkView(bench.project, { view: 'delays', start: '2024-02-01', end: '2024-02-08' });
    expect(c.verdict).toBe('block');
    expect(c.run.status).toBe('blocked');
    expect(c.results.find((x) => x.check === 'schema' && x.method === method && x.feature === feature && x.status === 'fail')?.message).toContain("'data/rows/part-1.parquet'");
  });

  it("blocks a view's first incremental materialization too, and the files at fault are not read", async () => {
    bench = await guardBench({ features: FEATURES, sourceGlob: true });
    await bench.writeSource(SOURCE);
    // An earlier file than part-0's rows that lacks a column: not read, so the earliest row is part-0's.
    await bench.conn.run(`COPY (SELECT * EXCLUDE (carrier) REPLACE (ts - INTERVAL 31 DAY AS ts, created - INTERVAL 31 DAY AS created) FROM (${SOURCE})) TO ${literal(join(bench.dir, 'data', 'rows', 'part-1.parquet'))} (FORMAT parquet)`);
    const [r] = await materialize(bench.project, { incremental: true, end: '2024-01-08' });
    expect(r.status, r.message ?? '').toBe('blocked');
    expect(r.message).toMatch(/^schema\.missing_column: 'data\/rows\/part-1\.parquet' \(matched by 'data\/rows\/\*\.parquet'\) has no column 'carrier'/);
    expect(r.run?.window_start).toBe('2024-01-01T00:00:00.000Z');
    expect(r.rowsRead).toBe(24 * 7);
  });
});
