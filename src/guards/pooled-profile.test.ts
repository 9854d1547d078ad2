import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { openOfflineEngine } from '../offline/engine.js';
import { poolProfiles, pooledAgeOf } from './pooled-profile.js';
import type { ColumnProfile } from './profile-types.js';
import { profileTable } from './profile.js';

let conn: DuckDBConnection;
beforeAll(async () => {
  conn = await (await openOfflineEngine()).connect();
  // Three "days" of different size, centre and spread, with nulls, NaN and categories.
  await conn.run(`CREATE OR REPLACE TEMP TABLE pool_all AS
    SELECT d, CASE WHEN i % 17 = 0 THEN NULL WHEN i % 101 = 0 THEN 'nan'::DOUBLE ELSE (d * 40 + (i % 97) * (d + 1))::DOUBLE END AS x,
      CASE WHEN i % 13 = 0 THEN NULL ELSE 'c' || ((i * (d + 3)) % 7) END AS s
    FROM (SELECT 0 AS d, i FROM range(3000) r(i) UNION ALL SELECT 1, i FROM range(12000) r(i) UNION ALL SELECT 2, i FROM range(800) r(i))`);
  for (const d of [0, 1, 2]) await conn.run(`CREATE OR REPLACE TEMP TABLE pool_${d} AS SELECT x, s FROM pool_all WHERE d = ${d}`);
  await conn.run('CREATE OR REPLACE TEMP TABLE pool_u AS SELECT x, s FROM pool_all');
});
afterAll(() => conn.closeSync());

describe('poolProfiles', () => {
  it('pools runs into the profile of their rows taken together: exact counts and moments, sample estimates close', async () => {
    const days = await Promise.all([2, 1, 0].map((d) => profileTable(conn, `pool_${d}`)));
    const union = await profileTable(conn, 'pool_u', { sampleSize: 100_000 });
    const x = poolProfiles(days.map((p) => p.get('x')!));
    const u = union.get('x')!;
    expect(x).toMatchObject({ count: u.count, nulls: u.nulls, nan: u.nan, inf: u.inf, min: u.min, max: u.max });
    expect(x.mean).toBeCloseTo(u.mean!, 9);
    expect(x.stddev).toBeCloseTo(u.stddev!, 9);
    // The pooled sample is capped at 10,000 values drawn in proportion to each day's values.
    expect(x.sample.length).toBeLessThanOrEqual(10_000);
    expect(x.sampled).toBe(true);
    const scale = u.quantiles!.p99 - u.quantiles!.p1;
    for (const k of ['p5', 'p25', 'p50', 'p75', 'p95'] as const) expect(Math.abs(x.quantiles![k] - u.quantiles![k])).toBeLessThan(0.02 * scale);
    expect(x.deciles).toHaveLength(9);
    expect(x.histogram!.counts.reduce((a, b) => a + b, 0)).toBe(x.sample.length);
    const s = poolProfiles(days.map((p) => p.get('s')!));
    expect(s.top_total).toBe(union.get('s')!.top_total);
    expect(new Map(s.top!.map((t) => [t.value, t.count]))).toEqual(new Map(union.get('s')!.top!.map((t) => [t.value, t.count])));
  });

  it('pools small runs exactly: the pooled sample holds every value', async () => {
    const days = await Promise.all([2, 0].map((d) => profileTable(conn, `pool_${d}`)));
    await conn.run('CREATE OR REPLACE TEMP TABLE pool_small AS SELECT x, s FROM pool_all WHERE d IN (0, 2)');
    const u = (await profileTable(conn, 'pool_small')).get('x')!;
    const x = poolProfiles(days.map((p) => p.get('x')!));
    expect(x.sampled).toBe(false);
    expect(x.sample).toHaveLength(u.sample.length);
    for (const k of ['p1', 'p5', 'p25', 'p50', 'p75', 'p95', 'p99'] as const) expect(x.quantiles![k]).toBeCloseTo(u.quantiles![k], 9);
    expect(x.deciles).toEqual(u.deciles);
    expect(x.mad).toBeCloseTo(u.mad!, 9);
    expect(x.distinct).toBe(u.distinct);
  });

  it('pools top values in rows: sample-counted runs are rescaled, values outside a run\'s incomplete list are bounded', () => {
    const cat = (count: number, top: [string, number][], topTotal: number): ColumnProfile => ({
      column: 's', type: 'VARCHAR', kind: 'categorical', count, nulls: 0, nan: 0, inf: 0, distinct: top.length, sampled: count > topTotal,
      min: null, max: null, mean: null, stddev: null, quantiles: null, histogram: null, deciles: null, sample: [], mad: null,
      outlier_rate: null, outlier_rate_vs_reference: null, top_total: topTotal, top: top.map(([value, n]) => ({ value, count: n })),
    });
    // 2M rows counted on a 10,000-row sample, and 500k rows counted exactly.
    const big = cat(2_000_000, [['x', 6000], ['y', 4000]], 10_000);
    const small = cat(500_000, [['x', 100_000], ['y', 400_000]], 500_000);
    const pooled = poolProfiles([small, big]);
    expect(pooled.top_total).toBe(2_500_000);
    expect(pooled.top).toEqual([{ value: 'x', count: 1_300_000 }, { value: 'y', count: 1_200_000 }]);
    // A run whose list misses 'z' (incomplete: 100 rows elsewhere, smallest listed count 300) contributes a share of
    // those 100 rows to it (one share each for z and for values outside every list: 50).
    const partial = cat(1000, [['x', 600], ['y', 300]], 1000);
    const withZ = cat(1000, [['x', 500], ['z', 500]], 1000);
    const p2 = poolProfiles([withZ, partial]);
    // The pooled list is as long as the longest run's (2 here): y (300) falls into the remainder.
    expect(p2.top).toEqual([{ value: 'x', count: 1100 }, { value: 'z', count: 550 }]);
    expect(p2.top_total).toBe(2000);
  });

  it('keeps a single profile as it is and leaves out runs where the column had another kind', async () => {
    const p = (await profileTable(conn, 'pool_0')).get('x')!;
    expect(poolProfiles([p])).toBe(p);
    const asText = (await profileTable(conn, 'pool_0')).get('s')!;
    expect(poolProfiles([p, { ...asText, column: 'x' }])).toBe(p);
    expect(() => poolProfiles([])).toThrow(/at least one/);
  });

  it('counts no distinct timestamps when any pooled profile did not (profiles stored before said 0)', async () => {
    await conn.run("CREATE OR REPLACE TEMP TABLE pool_ts AS SELECT TIMESTAMP '2024-01-01' + to_hours(i) AS t FROM range(5) r(i)");
    const t = (await profileTable(conn, 'pool_ts')).get('t')!;
    expect(t.distinct).toBeNull();
    expect(poolProfiles([t, { ...t, distinct: 0 }]).distinct).toBeNull();
  });

  it('pools the ages of timestamp profiles as numbers: exact counts and moments, the union\'s sample when it fits', async () => {
    await conn.run(`CREATE OR REPLACE TEMP TABLE pool_age AS SELECT d, TIMESTAMP '2024-01-01' + INTERVAL (d) DAY + INTERVAL (i) MINUTE AS event_timestamp,
        CASE WHEN i % 11 = 0 THEN NULL ELSE TIMESTAMP '2024-01-01' + INTERVAL (d) DAY + INTERVAL (i) MINUTE - INTERVAL ((i * (d + 2)) % 5000) SECOND END AS t
      FROM range(3) a(d), range(700) r(i)`);
    const age = { eventTimestamp: 'event_timestamp', columns: ['t'] };
    const days = [];
    for (const d of [2, 1, 0]) {
      await conn.run(`CREATE OR REPLACE TEMP TABLE pool_age_${d} AS SELECT event_timestamp, t FROM pool_age WHERE d = ${d}`);
      days.push((await profileTable(conn, `pool_age_${d}`, { age })).get('t')!);
    }
    const u = (await profileTable(conn, 'pool_age', { age })).get('t')!.age!;
    const pooled = poolProfiles(days).age!;
    expect(pooled).toMatchObject({ kind: 'numeric', column: 't', count: u.count, nulls: u.nulls, min: u.min, max: u.max, sampled: false });
    expect(pooled.mean).toBeCloseTo(u.mean!, 9);
    expect(pooled.stddev).toBeCloseTo(u.stddev!, 9);
    for (const k of ['p1', 'p50', 'p99'] as const) expect(pooled.quantiles![k]).toBeCloseTo(u.quantiles![k], 9);
    expect(pooled.deciles).toEqual(u.deciles);
    expect(pooledAgeOf(poolProfiles(days))).toBeUndefined();

    // A run profiled before ages were (the oldest): the age pools the two runs that have one, as their union's.
    const { age: _, ...old } = days[2];
    const mixed = poolProfiles([days[0], days[1], old]);
    expect(pooledAgeOf(mixed)).toEqual({ withAge: [0, 1], of: 3 });
    expect(mixed.count).toBe(u.count);
    await conn.run('CREATE OR REPLACE TEMP TABLE pool_age_12 AS SELECT event_timestamp, t FROM pool_age WHERE d IN (1, 2)');
    const u12 = (await profileTable(conn, 'pool_age_12', { age })).get('t')!.age!;
    expect(mixed.age).toMatchObject({ kind: 'numeric', count: u12.count, nulls: u12.nulls, min: u12.min, max: u12.max, sampled: false });
    expect(mixed.age!.mean).toBeCloseTo(u12.mean!, 9);
    expect(mixed.age!.stddev).toBeCloseTo(u12.stddev!, 9);
    expect(mixed.age!.deciles).toEqual(u12.deciles);
    expect(u12.count).toBeLessThan(u.count);
    // No run with an age: no pooled age.
    const { age: _a, ...old1 } = days[1];
    expect(poolProfiles([old1, old]).age).toBeUndefined();
    expect(pooledAgeOf(poolProfiles([old1, old]))).toEqual({ withAge: [], of: 2 });
  });
});
