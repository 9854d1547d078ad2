import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  binCounts,
  chisquare,
  decileEdges,
  jensenshannon,
  ks2samp,
  linf,
  mannWhitneyAuc,
  psi,
  quantiles,
  rankdata,
  spearman,
  wassersteinDistance,
  wassersteinNormed,
  ztest2prop,
} from './index.js';

const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });
const sampleArb = fc.array(fc.oneof(finite, fc.integer({ min: -5, max: 5 })), { minLength: 1, maxLength: 60 });
const countsArb = (len: number) => fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: len, maxLength: len });

describe('statistics: properties', () => {
  it('ks2samp: statistic and p in [0, 1], symmetric, identical samples give D = 0 and p = 1', () => {
    fc.assert(
      fc.property(sampleArb, sampleArb, (a, b) => {
        const r = ks2samp(a, b);
        const s = ks2samp(b, a);
        expect(r.statistic).toBeGreaterThanOrEqual(0);
        expect(r.statistic).toBeLessThanOrEqual(1);
        expect(r.pvalue).toBeGreaterThanOrEqual(0);
        expect(r.pvalue).toBeLessThanOrEqual(1);
        expect(s).toEqual(r);
        expect(ks2samp(a, [...a].reverse())).toEqual({ statistic: 0, pvalue: 1 });
      }),
    );
  });

  it('ks2samp exact p-value equals the permutation distribution of D (distinct values, enumerated)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), { minLength: 2, maxLength: 11 }), fc.integer({ min: 1, max: 10 }), (values, cut) => {
        const n1 = Math.min(Math.max(1, cut), values.length - 1);
        const a = values.slice(0, n1);
        const b = values.slice(n1);
        const observed = ks2samp(a, b);
        const all = [...values].sort((x, y) => x - y);
        const n = all.length;
        let extreme = 0;
        let total = 0;
        for (let mask = 0; mask < 1 << n; mask++) {
          let bits = 0;
          for (let m = mask; m; m &= m - 1) bits++;
          if (bits !== n1) continue;
          total++;
          let i = 0;
          let j = 0;
          let d = 0;
          for (let k = 0; k < n; k++) {
            if (mask & (1 << k)) i++;
            else j++;
            d = Math.max(d, Math.abs(i / n1 - j / (n - n1)));
          }
          if (d >= observed.statistic - 1e-12) extreme++;
        }
        expect(observed.pvalue).toBeCloseTo(extreme / total, 10);
      }),
      { numRuns: 60 },
    );
  });

  it('wassersteinDistance: symmetric, translation invariant, a shift by c costs |c|', () => {
    fc.assert(
      fc.property(sampleArb, sampleArb, fc.integer({ min: -100, max: 100 }), (a, b, c) => {
        const w = wassersteinDistance(a, b);
        expect(w).toBeGreaterThanOrEqual(0);
        expect(wassersteinDistance(b, a)).toBeCloseTo(w, 6);
        const ints = a.map(Math.round);
        expect(wassersteinDistance(ints, ints.map((x) => x + c))).toBeCloseTo(Math.abs(c), 9);
      }),
    );
  });

  it('wassersteinNormed: the same score for the data in any unit, up to magnitudes of 1e300 (squares overflow beyond 1e154)', () => {
    fc.assert(
      fc.property(sampleArb, sampleArb, fc.integer({ min: -300, max: 300 }), (a, b, e) => {
        const k = 10 ** e;
        const mean = a.reduce((x, y) => x + y, 0) / a.length;
        const std = Math.sqrt(a.reduce((x, y) => x + (y - mean) ** 2, 0) / a.length);
        // The 0.001 floor of the standard deviation is in the data's units: a score under it is not scale-free.
        fc.pre(std >= 0.01 && std * k >= 0.01);
        const base = wassersteinNormed(a, b);
        const scaled = wassersteinNormed(a.map((x) => x * k), b.map((x) => x * k));
        fc.pre(Number.isFinite(scaled));
        expect(Math.abs(scaled - base)).toBeLessThanOrEqual(1e-9 * Math.max(1, base));
      }),
    );
  });

  it('jensenshannon: symmetric, in [0, sqrt(ln 2)], scale invariant, 0 for equal shares', () => {
    fc.assert(
      fc.property(countsArb(6), countsArb(6), fc.integer({ min: 1, max: 50 }), (p, q, k) => {
        fc.pre(p.some((x) => x > 0) && q.some((x) => x > 0));
        const d = jensenshannon(p, q);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(Math.sqrt(Math.LN2) + 1e-12);
        expect(jensenshannon(q, p)).toBeCloseTo(d, 12);
        expect(jensenshannon(p.map((x) => x * k), q)).toBeCloseTo(d, 12);
        expect(jensenshannon(p, p.map((x) => x * k))).toBeCloseTo(0, 7);
      }),
    );
  });

  it('spearman: invariant under strictly increasing transforms, sign flips under negation', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: -50, max: 50 })), { minLength: 3, maxLength: 40 }), (pairs) => {
        const x = pairs.map((p) => p[0]);
        const y = pairs.map((p) => p[1]);
        const r = spearman(x, y);
        fc.pre(!Number.isNaN(r.statistic));
        expect(Math.abs(r.statistic)).toBeLessThanOrEqual(1);
        expect(r.pvalue).toBeGreaterThanOrEqual(0);
        expect(r.pvalue).toBeLessThanOrEqual(1);
        expect(spearman(x.map((v) => Math.exp(v / 10)), y).statistic).toBeCloseTo(r.statistic, 12);
        expect(spearman(x.map((v) => -v), y).statistic).toBeCloseTo(-r.statistic, 12);
      }),
    );
  });

  it('mannWhitneyAuc: in [0, 1], negating scores gives 1 − AUC, monotone transforms keep it', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -20, max: 20 }), fc.integer({ min: 0, max: 1 })), { minLength: 2, maxLength: 60 }), (rows) => {
        const s = rows.map((r) => r[0]);
        const l = rows.map((r) => r[1]);
        fc.pre(l.includes(0) && l.includes(1));
        const auc = mannWhitneyAuc(s, l);
        expect(auc).toBeGreaterThanOrEqual(0);
        expect(auc).toBeLessThanOrEqual(1);
        expect(mannWhitneyAuc(s.map((v) => -v), l)).toBeCloseTo(1 - auc, 12);
        expect(mannWhitneyAuc(s.map((v) => v * v * v + 7), l)).toBeCloseTo(auc, 12);
        // brute-force pair counting as an independent reference
        let wins = 0;
        let pairs = 0;
        for (let i = 0; i < s.length; i++) for (let j = 0; j < s.length; j++) {
          if (l[i] === 1 && l[j] === 0) {
            pairs++;
            wins += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
          }
        }
        expect(auc).toBeCloseTo(wins / pairs, 12);
      }),
    );
  });

  it('psi: non-negative, 0 for equal shares, symmetric', () => {
    fc.assert(
      fc.property(countsArb(10), countsArb(10), (r, c) => {
        fc.pre(r.some((x) => x > 0) && c.some((x) => x > 0));
        const v = psi(r, c);
        expect(v).toBeGreaterThanOrEqual(0);
        expect(psi(c, r)).toBeCloseTo(v, 9);
        expect(psi(r, r.map((x) => 3 * x))).toBeCloseTo(0, 12);
      }),
    );
  });

  it('chisquare, ztest2prop, linf: p-values in [0, 1], linf in [0, 1]', () => {
    fc.assert(
      fc.property(countsArb(5), countsArb(5), (o, q) => {
        fc.pre(o.every((x) => x > 0) && q.every((x) => x > 0));
        const r = chisquare(o);
        expect(r.pvalue).toBeGreaterThanOrEqual(0);
        expect(r.pvalue).toBeLessThanOrEqual(1);
        const z = ztest2prop(o[0], o[0] + o[1], q[0], q[0] + q[1]);
        expect(z.pvalue).toBeGreaterThanOrEqual(0);
        expect(z.pvalue).toBeLessThanOrEqual(1);
        const d = linf(o, q);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('rankdata: ranks sum to n(n+1)/2 and ties share their mean rank', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 50 }), (v) => {
        const r = rankdata(v);
        const n = v.length;
        expect(r.reduce((a, b) => a + b, 0)).toBeCloseTo((n * (n + 1)) / 2, 9);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (v[i] === v[j]) expect(r[i]).toBe(r[j]);
      }),
    );
  });

  it('histogram helpers: decile edges split a sample into ~10% bins, counts add up', () => {
    const ref = Array.from({ length: 1000 }, (_, i) => i);
    const edges = decileEdges(ref);
    expect(edges).toHaveLength(9);
    expect(binCounts(ref, edges)).toEqual([100, 100, 100, 100, 100, 100, 100, 100, 100, 100]);
    expect(quantiles([1, 2, 3, 4], [0.5, 0.25])).toEqual([2.5, 1.75]);
    expect(binCounts([1, 2, 2, 3, 9, Number.NaN], [2, 5])).toEqual([1, 3, 1]);
  });

  it('quantiles of finite values are finite and ordered, also where the difference of two values overflows (property)', () => {
    const big = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(-Number.MAX_VALUE, Number.MAX_VALUE, -1.7e308, 1.7e308, 0));
    const probs = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1];
    fc.assert(
      fc.property(fc.array(big, { minLength: 1, maxLength: 40 }), (v) => {
        const q = quantiles(v, probs);
        const s = [...v].sort((a, b) => a - b);
        q.forEach((x, i) => {
          // Within the order statistics around it, and never below the one before.
          const pos = probs[i] * (s.length - 1);
          expect(x).toBeGreaterThanOrEqual(s[Math.floor(pos)]);
          expect(x).toBeLessThanOrEqual(s[Math.ceil(pos)]);
          if (i > 0) expect(x).toBeGreaterThanOrEqual(q[i - 1]);
        });
      }),
      { numRuns: 500 },
    );
    // Half the values at each end of the double range: the median between them, the bins split in two.
    const halves = Array.from({ length: 1000 }, (_, i) => (i % 2 ? 1.7e308 : -1.7e308));
    expect(quantiles(halves, [0.5])).toEqual([0]);
    expect(binCounts(halves, decileEdges(halves))).toEqual([0, 500, 0, 500]);
  });
  it('any NaN in the input gives NaN (README: like SciPy\'s nan_policy=\'propagate\'), wherever it is (property)', () => {
    // A sample with one NaN put at a random place (the sort and rank comparators used to place it arbitrarily).
    const withNaN = (arr: fc.Arbitrary<number[]>) =>
      fc.tuple(arr, fc.nat()).map(([v, at]) => {
        const out = [...v];
        out.splice(at % (v.length + 1), 0, Number.NaN);
        return out;
      });
    const counts = countsArb(6).filter((c) => c.some((x) => x > 0));
    fc.assert(
      fc.property(withNaN(sampleArb), sampleArb, withNaN(countsArb(5)), counts, (a, b, nanCounts, c) => {
        const labels = a.map((_, i) => i % 2);
        expect(mannWhitneyAuc(a, labels)).toBeNaN();
        expect(Array.from(rankdata(a)).every(Number.isNaN)).toBe(true);
        expect(spearman(a, a.map((_, i) => i)).statistic).toBeNaN();
        expect(quantiles(a, [0, 0.1, 0.5, 0.9, 1]).every(Number.isNaN)).toBe(true);
        expect(decileEdges(a)).toEqual([]);
        expect(ks2samp(a, b).statistic).toBeNaN();
        expect(wassersteinDistance(a, b)).toBeNaN();
        expect(psi(nanCounts, c.slice(0, nanCounts.length))).toBeNaN();
        expect(psi(c.slice(0, nanCounts.length), nanCounts)).toBeNaN();
        expect(jensenshannon(nanCounts, c.slice(0, nanCounts.length))).toBeNaN();
        expect(jensenshannon(c.slice(0, nanCounts.length), nanCounts)).toBeNaN();
      }),
      { numRuns: 300 },
    );
  });

  it('jensenshannon of an all-zero distribution is NaN, as SciPy (it cannot be normalized); else within [0, √ln 2]', () => {
    expect(jensenshannon([0, 0], [1, 1])).toBeNaN();
    expect(jensenshannon([1, 2, 3], [0, 0, 0], 2)).toBeNaN();
    fc.assert(
      fc.property(countsArb(6), countsArb(6), (p, q) => {
        const d = jensenshannon(p, q);
        if (p.every((x) => x === 0) || q.every((x) => x === 0)) return expect(d).toBeNaN();
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(Math.sqrt(Math.LN2) + 1e-12);
      }),
    );
  });
});
