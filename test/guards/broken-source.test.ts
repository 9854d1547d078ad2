/**
 * A source that breaks upstream — a feature column changing type, vanishing, or
 * holding text where numbers are declared — must be a schema failure that blocks
 * (exit code 1 from the CLI), through the real `materialize` and `check`, and the
 * online store must stay as it was. A compatible change (a narrower integer, an
 * ENUM for a string) must still pass and serve the declared types.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FeatureguardError } from '../../src/errors.js';
import { checkView } from '../../src/guards/check-run.js';
import { materialize } from '../../src/materialize/materialize.js';
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
const SOURCE = `SELECT *, (10 + i % 7)::INTEGER AS flights FROM (${DEFAULT_SOURCE.replace('AS carrier', 'AS carrier, i')})`;

async function online(b: GuardBench) {
  const r = await getOnlineFeatures(b.project, { features: ['delays:delay', 'delays:flights'], entities: { airport: ['SEA', 'JFK'] } });
  return r.results.slice(1).map((x) => x.values);
}

describe('a broken source blocks, it does not crash', () => {
  it.each([
    ['delay written as text', `SELECT * REPLACE (CAST(round(delay, 1) AS VARCHAR) AS delay) FROM (${SOURCE})`, 'type', 'delay'],
    ['delay holding words', `SELECT * REPLACE (CASE WHEN i % 50 = 0 THEN 'n/a' ELSE CAST(delay AS VARCHAR) END AS delay) FROM (${SOURCE})`, 'type', 'delay'],
    ['flights dropped', `SELECT * EXCLUDE (flights) FROM (${SOURCE})`, 'missing_column', 'flights'],
    ['flights as double', `SELECT * REPLACE (flights + 0.5 AS flights) FROM (${SOURCE})`, 'type', 'flights'],
  ])('%s', async (_name, broken, method, feature) => {
    bench = await guardBench({ features: FEATURES });
    await bench.writeSource(SOURCE);
    const [ok] = await materialize(bench.project, { start: '2024-01-01', end: '2024-01-08' });
    expect(ok.status).toBe('success');
    const before = await online(bench);
    expect(before[1].every((v) => typeof v === 'number' && Number.isInteger(v))).toBe(true);

    await bench.writeSource(broken);
    const [r] = await materialize(bench.project, { start: '2024-01-08', end: '2024-01-15' });
    expect(r.status).toBe('blocked');
    expect(r.message).toContain(`schema.${method}`);
    expect(r.checks.find((c) => c.check === 'schema' && c.method === method && c.feature === feature)?.status).toBe('fail');
    expect(await online(bench)).toEqual(before);

    const c = await checkView(bench.project, { view: 'delays', start: '2024-01-08', end: '2024-01-15' });
    expect(c.verdict).toBe('block');
    expect(c.blockedReason).toContain(`schema.${method}`);
  });

  it('a source gone is the same clear error from check as from materialize, with project-relative paths', async () => {
    bench = await guardBench({ features: FEATURES });
    rmSync(join(bench.dir, 'data', 'rows.parquet'));
    const [m] = await materialize(bench.project, { start: '2024-01-01', end: '2024-01-08' });
    expect(m.status).toBe('failed');
    const e = await checkView(bench.project, { view: 'delays', start: '2024-01-01', end: '2024-01-08' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FeatureguardError);
    expect((e as FeatureguardError).code).toBe('source_unreadable');
    const message = (e as Error).message;
    expect(message).toMatch(/^feature view 'delays' could not read its source 'rows' \(path 'data\/rows.parquet'\): IO Error: No files found/);
    expect(message).not.toContain(bench.dir);
    expect(message).toBe(m.message);
  });

  it('accepts compatible column types and serves the declared ones', async () => {
    bench = await guardBench({ features: FEATURES });
    await bench.writeSource(`SELECT * REPLACE (flights::SMALLINT AS flights, carrier::ENUM('AA','UA','DL','WN') AS carrier, delay::FLOAT AS delay) FROM (${SOURCE})`);
    const [r] = await materialize(bench.project, { start: '2024-01-01', end: '2024-01-08' });
    expect(r.status, r.message ?? '').toBe('success');
    expect(r.checks.filter((c) => c.check === 'schema' && c.method === 'type').map((c) => c.status)).toEqual(['pass', 'pass', 'pass']);
    const values = await online(bench);
    expect(values[1].every((v) => typeof v === 'number' && Number.isInteger(v))).toBe(true);
    expect(values[0].every((v) => typeof v === 'number')).toBe(true);
  });
});
