import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { openOfflineEngine } from '../offline/engine.js';
import { describeTable, medianOf, profileSlices, profileTable, robustScale, robustStats } from './profile.js';
import { poolProfiles } from './pooled-profile.js';
import { rowPass } from './row-pass.js';
import { columnKind } from './profile-sql.js';

let conn: DuckDBConnection;
beforeAll(async () => {
  conn = await (await openOfflineEngine()).connect();
  await conn.run(`CREATE OR REPLACE TEMP TABLE prof_t AS SELECT i AS x, CASE WHEN i % 10 = 0 THEN NULL ELSE 'v' || (i % 3) END AS s, i % 2 = 0 AS b,
    TIMESTAMP '2024-01-01' + INTERVAL (i) MINUTE AS event_timestamp FROM range(1, 1001) r(i)`);
  await conn.run(`CREATE OR REPLACE TEMP TABLE prof_f AS SELECT (i * 0.5)::DOUBLE AS f FROM range(100) r(i) UNION ALL SELECT 'nan'::DOUBLE UNION ALL SELECT 'inf'::DOUBLE UNION ALL SELECT NULL`);
});
afterAll(() => conn.closeSync());

describe('profiles', () => {
  it('profiles lists and arrays of decimals, timestamps or enums as other (a list is not a number, a time or a category)', async () => {
    expect(['DECIMAL(10,2)', 'DECIMAL(10,2)[]', 'DECIMAL(5,1)[3]', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE[]', 'TIMESTAMP_NS[]', "ENUM('a', 'b')", "ENUM('a', 'b')[]"].map(columnKind))
      .toEqual(['numeric', 'other', 'other', 'timestamp', 'other', 'other', 'categorical', 'other']);
    await conn.run(`CREATE OR REPLACE TEMP TABLE prof_l AS SELECT [i::DECIMAL(10,2), 2.5] AS prices, [TIMESTAMP '2024-01-01' + INTERVAL (i) DAY] AS seen FROM range(10) r(i)`);
    const p = await profileTable(conn, 'prof_l');
    expect([p.get('prices')!.kind, p.get('seen')!.kind, p.get('prices')!.count]).toEqual(['other', 'other', 10]);
  });

  it('computes counts, moments, quantiles and top values that match independent computations', async () => {
    const p = await profileTable(conn, 'prof_t');
    const x = p.get('x')!;
    const xs = Array.from({ length: 1000 }, (_, i) => i + 1);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    expect(x).toMatchObject({ kind: 'numeric', count: 1000, nulls: 0, min: 1, max: 1000 });
    expect(x.mean).toBeCloseTo(mean, 9);
    expect(x.stddev).toBeCloseTo(std, 9);
    expect(x.quantiles!.p50).toBeCloseTo(500.5, 9); // quantile_cont (linear interpolation), like numpy's default
    expect(x.quantiles!.p1).toBeCloseTo(1 + 0.01 * 999, 9);
    expect(x.sample).toHaveLength(1000);
    expect(x.histogram!.counts.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(x.histogram!.counts.every((c) => c === 100)).toBe(true);
    const s = p.get('s')!;
    expect(s).toMatchObject({ kind: 'categorical', nulls: 100 });
    expect(s.top!.map((t) => t.count).reduce((a, b) => a + b, 0)).toBe(900);
    expect(p.get('b')!.top).toEqual([{ value: 'false', count: 500 }, { value: 'true', count: 500 }]);
    expect(p.get('event_timestamp')).toMatchObject({ kind: 'timestamp', min: '2024-01-01 00:01:00', max: '2024-01-01 16:40:00' });
  });

  it('separates NaN and Inf from the finite statistics', async () => {
    const f = (await profileTable(conn, 'prof_f')).get('f')!;
    expect(f).toMatchObject({ count: 103, nulls: 1, nan: 1, inf: 1, min: 0, max: 49.5 });
    expect(f.mean).toBeCloseTo(24.75, 9);
    // Population stddev of 0, 0.5, …, 49.5: 0.5 · sqrt((100² − 1) / 12).
    expect(f.stddev).toBeCloseTo(0.5 * Math.sqrt((100 ** 2 - 1) / 12), 9);
    expect(f.sample.every(Number.isFinite)).toBe(true);
  });

  it('keeps the stddev of large values close together (int64 ids near 2^53, epoch µs), in one pass, over days and pooled', async () => {
    // 5 days × 1000 rows: k = 2^53 + 2·day + (i % 4) (BIGINT, odd values included), b = 1e15 + day + (i % 11) (DOUBLE).
    await conn.run(`CREATE OR REPLACE TEMP TABLE prof_big AS SELECT (9007199254740992 + 2 * d + (i % 4))::BIGINT AS k, (1e15 + d + (i % 11))::DOUBLE AS b,
      TIMESTAMP '2024-01-01' + INTERVAL (d) DAY + INTERVAL (i) SECOND AS event_timestamp FROM range(5) t(d), range(1000) r(i)`);
    const exactStd = (f: (d: number, i: number) => number) => {
      const offsets = Array.from({ length: 5000 }, (_, j) => f(Math.floor(j / 1000), j % 1000));
      const m = offsets.reduce((a, v) => a + v, 0) / offsets.length;
      return Math.sqrt(offsets.reduce((a, v) => a + (v - m) ** 2, 0) / offsets.length);
    };
    const want = { k: exactStd((d, i) => 2 * d + (i % 4)), b: exactStd((d, i) => d + (i % 11)) };
    const expectStd = (got: number | null, c: 'k' | 'b', what: string) => expect(Math.abs(got! - want[c]) / want[c], `${what}: ${c} stddev ${got}, exact ${want[c]}`).toBeLessThan(1e-9);
    const p = await profileTable(conn, 'prof_big');
    for (const c of ['k', 'b'] as const) expectStd(p.get(c)!.stddev, c, 'one pass');
    // The DOUBLE column's mean is exact too (DuckDB's avg of such values gave 1e15 + 0.6 for 1e15 + 5).
    expect(p.get('b')!.mean).toBe(1e15 + 2 + 5);
    // Over days (the guard stage's row pass) and pooled from per-day profiles: the parts' means combine relative to
    // the first.
    const pass = await rowPass(conn, 'prof_big', { columns: await describeTable(conn, 'prof_big'), byDay: true });
    const combined = await profileTable(conn, 'prof_big', { aggregate: pass.aggregate });
    for (const c of ['k', 'b'] as const) expectStd(combined.get(c)!.stddev, c, 'combined over 5 days');
    const days = [];
    for (const d of [4, 3, 2, 1, 0]) {
      await conn.run(`CREATE OR REPLACE TEMP TABLE prof_big_${d} AS SELECT k, b FROM prof_big WHERE event_timestamp::DATE = DATE '2024-01-01' + ${d}`);
      days.push(await profileTable(conn, `prof_big_${d}`));
    }
    for (const c of ['k', 'b'] as const) expectStd(poolProfiles(days.map((day) => day.get(c)!)).stddev, c, 'pooled from 5 days');
  });

  it('profiles each slice on its own values: a slice far from the table\'s first row keeps its mean and stddev', async () => {
    // The table's first row is a huge value of slice 'big'; slice 'small' holds 1..100 (mean 50.5, std 28.866…), slice
    // 'near' large values close together (2^53 + i % 4, 1e15 + i % 11), far from both, and 'one' a constant 1.1.
    await conn.run(`CREATE OR REPLACE TEMP TABLE prof_sl AS SELECT * FROM (VALUES ('big', 4000000000000000000::BIGINT, 4e18::DOUBLE)) v(seg, amount, score)
      UNION ALL SELECT 'small', i::BIGINT, i::DOUBLE FROM range(1, 101) r(i)
      UNION ALL SELECT 'near', (9007199254740992 + i % 4)::BIGINT, (1e15 + i % 11)::DOUBLE FROM range(1000) r(i)
      UNION ALL SELECT 'one', 7, 1.1 FROM range(3)`);
    const slices = await profileSlices(conn, 'prof_sl', 'seg');
    const small = slices.get('small')!;
    const std = Math.sqrt((100 ** 2 - 1) / 12);
    for (const c of ['amount', 'score']) {
      expect(small.get(c)!.mean, `small ${c} mean`).toBeCloseTo(50.5, 9);
      expect(small.get(c)!.stddev, `small ${c} stddev`).toBeCloseTo(std, 9);
    }
    const exact = (m: number) => {
      const v = Array.from({ length: 1000 }, (_, i) => i % m);
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      return { mean, std: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length) };
    };
    const near = slices.get('near')!;
    expect(Math.abs(near.get('amount')!.stddev! - exact(4).std) / exact(4).std, `near amount stddev ${near.get('amount')!.stddev}`).toBeLessThan(1e-9);
    expect(Math.abs(near.get('score')!.stddev! - exact(11).std) / exact(11).std, `near score stddev ${near.get('score')!.stddev}`).toBeLessThan(1e-9);
    expect(near.get('score')!.mean).toBe(1e15 + exact(11).mean);
    expect(slices.get('one')!.get('score')).toMatchObject({ mean: 1.1, stddev: 0 });
    expect(slices.get('one')!.get('amount')).toMatchObject({ mean: 7, stddev: 0 });
    expect(slices.get('big')!.get('score')).toMatchObject({ mean: 4e18, stddev: 0 });
  });

  it('bins a later profile on the reference edges and counts outliers against the reference', async () => {
    const ref = await profileTable(conn, 'prof_t');
    await conn.run('CREATE OR REPLACE TEMP TABLE prof_t2 AS SELECT x + 5000 AS x FROM prof_t UNION ALL SELECT x FROM prof_t');
    const cur = (await profileTable(conn, 'prof_t2', { reference: ref })).get('x')!;
    expect(cur.histogram!.edges).toEqual(ref.get('x')!.histogram!.edges);
    expect(cur.histogram!.counts[cur.histogram!.counts.length - 1]).toBe(100 + 1000);
    // median 500.5, MAD 250 → limit 5 * 1.4826 * 250 = 1853.25: all shifted rows are outliers.
    expect(cur.outlier_rate_vs_reference).toBeCloseTo(0.5, 9);
  });

  it('samples large tables uniformly: exactly 10,000 rows, the same for the same seed, also from a view', async () => {
    await conn.run('CREATE OR REPLACE TEMP TABLE prof_big AS SELECT i::DOUBLE AS x FROM range(200000) r(i)');
    await conn.run('CREATE OR REPLACE TEMP VIEW prof_big_view AS SELECT * FROM prof_big');
    const a = (await profileTable(conn, 'prof_big')).get('x')!;
    const b = (await profileTable(conn, 'prof_big')).get('x')!;
    expect(a.sampled).toBe(true);
    expect(a.sample).toHaveLength(10_000);
    expect(new Set(a.sample).size).toBe(10_000);
    expect(b.sample).toEqual(a.sample);
    expect((await profileTable(conn, 'prof_big', { seed: 7 })).get('x')!.sample).not.toEqual(a.sample);
    // Uniform on 0..199,999: deciles within 1.5% of the range (about 5 standard errors), each decile bin 10% ± 1.5%.
    a.deciles!.forEach((d, i) => expect(Math.abs(d - (i + 1) * 20_000)).toBeLessThan(3_000));
    const bins = new Array(10).fill(0);
    for (const v of a.sample as number[]) bins[Math.floor(v / 20_000)]++;
    for (const n of bins) expect(Math.abs(n - 1000)).toBeLessThan(150);
    const v = (await profileTable(conn, 'prof_big_view')).get('x')!;
    expect(v.sample).toHaveLength(10_000);
    expect(v.count).toBe(200_000);
  });

  it('robust statistics', () => {
    expect(medianOf([3, 1, 2, 4])).toBe(2.5);
    expect(robustStats([1, 2, 3, 4, 100], 5)).toMatchObject({ median: 3, mad: 1, outlierRate: 0.2 });
    // MAD 0 (most values equal the median): 1.2533 × mean absolute deviation, 1.2533 × 106 / 10 ≈ 13.3.
    const zeros = [0, 0, 0, 0, 0, 0, 1, 2, 3, 100];
    expect(robustScale(zeros, 0)).toBeCloseTo((1.2533 * 106) / 10, 9);
    expect(robustStats(zeros, 5)).toMatchObject({ median: 0, mad: 0, outlierRate: 0.1 });
    expect(robustStats([4, 4, 4], 5)).toMatchObject({ median: 4, mad: 0, outlierRate: null });
  });

  it('counts outliers against a zero-inflated reference (MAD 0) by its mean absolute deviation', async () => {
    // 60% zeros in the reference, then 30% of the values are 1e9 (a unit bug).
    await conn.run(`CREATE OR REPLACE TEMP TABLE prof_z AS SELECT CASE WHEN i % 10 < 6 THEN 0 ELSE (i % 800) + 1 END::DOUBLE AS v FROM range(2000) t(i)`);
    await conn.run(`CREATE OR REPLACE TEMP TABLE prof_z2 AS SELECT CASE WHEN i % 10 < 3 THEN 1e9 WHEN i % 10 < 8 THEN 0 ELSE (i % 800) + 1 END::DOUBLE AS v FROM range(2000) t(i)`);
    const ref = await profileTable(conn, 'prof_z');
    expect(ref.get('v')).toMatchObject({ mad: 0, outlier_rate: 0 });
    expect((await profileTable(conn, 'prof_z2', { reference: ref })).get('v')!.outlier_rate_vs_reference).toBeCloseTo(0.3, 9);
    // A reference of one value has no spread at all: no rate.
    await conn.run(`CREATE OR REPLACE TEMP TABLE prof_c AS SELECT 5.0::DOUBLE AS v FROM range(100)`);
    const constant = await profileTable(conn, 'prof_c');
    expect((await profileTable(conn, 'prof_z2', { reference: constant })).get('v')!.outlier_rate_vs_reference).toBeNull();
  });
});
