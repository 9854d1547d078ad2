/**
 * Evidently's method choice and the PSI bands on real profiles (DuckDB tables
 * profiled as the guard stage profiles them). Expected values come from the
 * SciPy-verified `featureguard/stats` functions on the same numbers.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOfflineEngine } from '../../offline/engine.js';
import { jensenshannon, ks2samp, psi, wassersteinNormed, ztest2prop } from '../../stats/index.js';
import { chisquare } from '../../stats/index.js';
import { resolveQuality } from '../config.js';
import { profileTable } from '../profile.js';
import type { ColumnProfile } from '../profile-types.js';
import { driftOf } from './drift-methods.js';

let conn: DuckDBConnection;
let n = 0;
beforeAll(async () => {
  conn = await (await openOfflineEngine()).connect();
});
afterAll(() => conn.closeSync());

const q = resolveQuality().drift;

async function profilesOf(values: readonly (number | string)[], ref?: Awaited<ReturnType<typeof profileTable>>) {
  const table = `dm_${++n}`;
  const text = typeof values[0] === 'string';
  await conn.run(`CREATE TEMP TABLE ${table} (v ${text ? 'VARCHAR' : 'DOUBLE'})`);
  const app = await conn.createAppender(table);
  for (const v of values) {
    if (text) app.appendVarchar(String(v));
    else app.appendDouble(Number(v));
    app.endRow();
  }
  app.closeSync();
  return profileTable(conn, table, { reference: ref });
}

async function drift(a: readonly (number | string)[], b: readonly (number | string)[], quality = q) {
  const ref = await profilesOf(a);
  const cur = await profilesOf(b, ref);
  return driftOf(ref.get('v')!, cur.get('v')!, quality)!;
}

const rep = <T>(pattern: readonly T[], times: number): T[] => Array.from({ length: pattern.length * times }, (_, i) => pattern[i % pattern.length]);
const counts = (xs: readonly (number | string)[], cats: readonly (number | string)[]) => cats.map((c) => xs.filter((x) => x === c).length);

describe("drift method choice (Evidently's table)", () => {
  it('numeric, ≤ 1000 reference rows, 2 values: two-proportion z-test', async () => {
    const a = rep([0, 0, 0, 1], 100);
    const b = rep([0, 1], 150);
    const d = await drift(a, b);
    expect(d.method).toBe('z');
    expect(d.value).toBeCloseTo(ztest2prop(300, 400, 150, 300).pvalue, 12);
    expect(d.status).toBe('fail');
  });

  it('numeric, ≤ 1000 reference rows, 3–5 values: chi-square on current vs reference shares', async () => {
    const a = rep([1, 2, 3, 4], 100);
    const b = rep([1, 2, 3, 4, 4], 60);
    const d = await drift(a, b);
    expect(d.method).toBe('chisquare');
    const exp = counts(a, [1, 2, 3, 4]).map((c) => (c * b.length) / a.length);
    expect(d.value).toBeCloseTo(chisquare(counts(b, [1, 2, 3, 4]), exp).pvalue, 12);
  });

  it('numeric, ≤ 1000 reference rows, many values: two-sample KS', async () => {
    const a = Array.from({ length: 500 }, (_, i) => Math.sin(i) * 10);
    const b = Array.from({ length: 400 }, (_, i) => Math.sin(i * 1.3) * 10 + 1);
    const d = await drift(a, b);
    expect(d.method).toBe('ks');
    expect(d.value).toBeCloseTo(ks2samp(a, b).pvalue, 12);
    expect(d.metrics.ks_statistic).toBeCloseTo(ks2samp(a, b).statistic, 12);
  });

  it('numeric, > 1000 reference rows, ≤ 5 values: Jensen–Shannon distance on value counts', async () => {
    const a = rep([1, 2, 3], 500);
    const b = rep([1, 2, 3, 3], 400);
    const d = await drift(a, b);
    expect(d.method).toBe('jensenshannon');
    expect(d.value).toBeCloseTo(jensenshannon(counts(a, [1, 2, 3]), counts(b, [1, 2, 3])), 12);
  });

  it('numeric, > 1000 reference rows, many values: normed Wasserstein', async () => {
    const a = Array.from({ length: 2000 }, (_, i) => Math.sin(i) * 10);
    const b = Array.from({ length: 1500 }, (_, i) => Math.sin(i * 1.7) * 10 + 0.5);
    const d = await drift(a, b);
    expect(d.method).toBe('wasserstein');
    expect(d.value).toBeCloseTo(wassersteinNormed(a, b), 12);
  });

  it('categorical: z-test for 2 categories, chi-square for more (≤ 1000 rows), Jensen–Shannon above 1000', async () => {
    expect((await drift(rep(['x', 'y'], 100), rep(['x', 'y', 'y'], 100))).method).toBe('z');
    expect((await drift(rep(['x', 'y', 'z'], 100), rep(['x', 'y', 'z', 'z'], 100))).method).toBe('chisquare');
    const a = rep(['x', 'y', 'z'], 400);
    const b = rep(['x', 'y', 'z', 'z'], 300);
    const d = await drift(a, b);
    expect(d.method).toBe('jensenshannon');
    expect(d.value).toBeCloseTo(jensenshannon(counts(a, ['x', 'y', 'z']), counts(b, ['x', 'y', 'z'])), 12);
    expect(d.metrics.psi).toBeCloseTo(psi(counts(a, ['x', 'y', 'z']), counts(b, ['x', 'y', 'z'])), 12);
  });
});

describe('PSI bands', () => {
  // Reference: a uniform grid on [0, 1). Current: in every second decile the lower half of the values moves
  // just below the decile's lower edge, so shares alternate 15% / 5%: PSI ≈ 0.275 while each value moves by
  // only 0.05 (normed Wasserstein ≈ 0.04, under its 0.1 threshold).
  const a = Array.from({ length: 5000 }, (_, i) => i / 5000);
  const b = a.map((x) => {
    const decile = Math.floor(x * 10);
    return decile % 2 === 1 && x - decile / 10 < 0.05 ? x - 0.05 : x;
  });

  it('PSI ≥ psi_fail fails even when the primary method does not drift', async () => {
    const d = await drift(a, b);
    expect(d.method).toBe('wasserstein');
    expect(d.value).toBeLessThan(q.distance);
    expect(d.metrics.psi).toBeGreaterThanOrEqual(q.psi_fail);
    expect([d.status, d.driftedBy, d.drifted]).toEqual(['fail', 'psi', true]);
  });

  it('PSI in [psi_warn, psi_fail) warns; below psi_warn passes', async () => {
    expect((await drift(a, b, { ...q, psi_fail: 1 })).status).toBe('warn');
    expect((await drift(a, b, { ...q, psi_warn: 1, psi_fail: 2 })).status).toBe('pass');
  });
});

describe('PSI bands on small samples', () => {
  // 200 values a side in 4 categories: PSI's small-sample bias 3·(1/200 + 1/200) = 0.03 is above psi_warn/4.
  const ref = [...rep(['a'], 80), ...rep(['b'], 60), ...rep(['c'], 40), ...rep(['d'], 20)];
  const cur = [...rep(['a'], 50), ...rep(['b'], 60), ...rep(['c'], 50), ...rep(['d'], 40)];
  const expected = psi([80, 60, 40, 20], [50, 60, 50, 40]);

  it('only reports PSI under the auto method, and applies its bands as configured when PSI is the chosen method', async () => {
    expect(expected).toBeGreaterThanOrEqual(q.psi_warn);
    expect(expected).toBeLessThan(q.psi_fail);
    const auto = await drift(ref, cur, { ...q, p_value: 1e-9 });
    expect(auto.metrics.psi).toBeCloseTo(expected, 9);
    expect(auto.method).toBe('chisquare');
    expect(auto.status).toBe('pass');
    const chosen = await drift(ref, cur, { ...q, method: 'psi' });
    expect([chosen.method, chosen.value, chosen.status]).toEqual(['psi', auto.metrics.psi, 'warn']);
    // The record's thresholds are PSI's two bands, as in QUALITY-CHECKS.md §1; other methods keep theirs beside PSI's.
    expect(chosen.thresholds).toEqual({ warn: q.psi_warn, fail: q.psi_fail });
    expect(auto.thresholds).toEqual({ p_value: 1e-9, psi_warn: q.psi_warn, psi_fail: q.psi_fail });
  });
});

describe('categories beyond the top list', () => {
  it('a value that moved across the top-50 boundary is not a category that vanished', async () => {
    // 60 categories: the reference ranks c50..c59 below the top 50, the current run ranks c40..c49 there instead.
    // Same shares apart from that swap of ranks near the bottom: the distribution barely moved.
    const mk = (low: number) => Array.from({ length: 60 }, (_, k) => rep([`c${k}`], k < 40 ? 200 : k >= low && k < low + 10 ? 20 : 21)).flat();
    const d = await drift(mk(50), mk(40));
    expect(d.method).toBe('jensenshannon');
    expect(d.value).toBeLessThan(0.02);
    expect(d.metrics.psi).toBeLessThan(0.01);
    expect(d.status).toBe('pass');
    // c45 is in the reference's top 50 and not in the current one's: its current count is bounded, not 0.
    const c45 = d.categories!.values.indexOf('c45');
    expect(d.categories!.current[c45]).toBeGreaterThan(15);
  });

  it('a frequent value replaced by another one outside each other\'s top 50 is drift, both lists incomplete', async () => {
    const base = Array.from({ length: 60 }, (_, k) => rep([`c${k}`], 20)).flat();
    const d = await drift([...base, ...rep(['SEA'], 2000)], [...base, ...rep(['KSEA'], 2000)]);
    expect(d.method).toBe('jensenshannon');
    expect(d.value).toBeGreaterThan(0.5);
    expect(d.status).toBe('fail');
    const sea = d.categories!.values.indexOf('SEA');
    expect(d.categories!.reference[sea]).toBe(2000);
    expect(d.categories!.current[sea]).toBeLessThanOrEqual(20);
  });

  it('small samples with ranks shuffled at the boundary: chi-square sees no drift (the bounds leave __other__ its share)', async () => {
    const vs = Array.from({ length: 48 }, (_, k) => rep([`v${k}`], 14)).flat();
    // Reference: A and B (4 each) in its top 50, C and D (3 each) not; current the other way round; a rare GU 1 → 3.
    const ref = [...vs, ...rep(['A'], 4), ...rep(['B'], 4), ...rep(['C'], 3), ...rep(['D'], 3), 'GU'];
    const cur = [...vs, ...rep(['C'], 4), ...rep(['D'], 4), ...rep(['A'], 3), ...rep(['B'], 3), ...rep(['GU'], 3)];
    const d = await drift(ref, cur);
    expect(d.method).toBe('chisquare');
    expect(d.value).toBeGreaterThan(0.5);
    expect(d.status).toBe('pass');
  });

  it('the two-category z-test takes proportions out of the counts\' own totals (sample counts on large tables)', () => {
    const cat = (count: number, yes: number, no: number): ColumnProfile => ({
      column: 'v', type: 'VARCHAR', kind: 'categorical', count, nulls: 0, nan: 0, inf: 0, distinct: 2, sampled: count > yes + no,
      min: null, max: null, mean: null, stddev: null, quantiles: null, histogram: null, deciles: null, sample: [], mad: null,
      outlier_rate: null, outlier_rate_vs_reference: null, top_total: yes + no, top: [{ value: 'no', count: no }, { value: 'yes', count: yes }],
    });
    // 800 exact rows half and half against 2M rows counted on a 10,000-row sample, also half and half.
    const d = driftOf(cat(800, 400, 400), cat(2_000_000, 5000, 5000), q)!;
    expect(d.method).toBe('z');
    expect(d.value).toBeCloseTo(1, 9);
    expect(d.status).toBe('pass');
  });
});

