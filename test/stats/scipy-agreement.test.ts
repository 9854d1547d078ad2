import { describe, expect, it } from 'vitest';
import {
  chisquare,
  decileEdges,
  jensenshannon,
  ks2samp,
  kstwoSf,
  mannWhitneyAuc,
  psi,
  quantiles,
  rankdata,
  smirnovSf,
  spearman,
  wassersteinDistance,
  wassersteinNormed,
  ztest2prop,
} from '../../src/stats/index.js';
import { close, fixture, sample, type Sample } from './fixtures.js';

function expectClose(actual: number, expected: number | null, what: string): void {
  expect(close(actual, expected), `${what}: got ${actual}, SciPy ${expected}`).toBe(true);
}

describe('ks2samp agrees with scipy.stats.ks_2samp', () => {
  for (const c of fixture<{ name: string; a: Sample; b: Sample; statistic: number; pvalue: number }>('ks2samp')) {
    it(c.name, () => {
      const r = ks2samp(sample(c.a), sample(c.b));
      expectClose(r.statistic, c.statistic, 'statistic');
      expectClose(r.pvalue, c.pvalue, 'pvalue');
      // symmetric in its arguments
      const s = ks2samp(sample(c.b), sample(c.a));
      expect(s.pvalue).toBe(r.pvalue);
    });
  }
});

describe('kstwo and smirnov distributions agree with SciPy', () => {
  it('kstwo.sf over every branch (Durbin, Pomeranz, Pelz–Good, Smirnov, Ruben–Gambino)', () => {
    for (const c of fixture<{ n: number; x: number; sf: number }>('kstwo')) expectClose(kstwoSf(c.n, c.x), c.sf, `kstwo(${c.n}, ${c.x})`);
  });
  it('special.smirnov', () => {
    for (const c of fixture<{ n: number; x: number; sf: number }>('smirnov')) expectClose(smirnovSf(c.n, c.x), c.sf, `smirnov(${c.n}, ${c.x})`);
  });
});

describe('chisquare agrees with scipy.stats.chisquare', () => {
  for (const c of fixture<{ name: string; observed: number[]; expected: number[] | null; statistic: number; pvalue: number }>('chisquare')) {
    it(c.name, () => {
      const r = chisquare(c.observed, c.expected ?? undefined);
      expectClose(r.statistic, c.statistic, 'statistic');
      expectClose(r.pvalue, c.pvalue, 'pvalue');
    });
  }
  it('rejects sums that disagree, as SciPy does', () => {
    expect(() => chisquare([10, 20], [10, 21])).toThrow(/sums differ/);
  });
});

describe('wassersteinDistance agrees with scipy.stats.wasserstein_distance', () => {
  for (const c of fixture<{ name: string; a: Sample; b: Sample; distance: number }>('wasserstein')) {
    it(c.name, () => expectClose(wassersteinDistance(sample(c.a), sample(c.b)), c.distance, 'distance'));
  }
});

describe('wassersteinNormed agrees with W1 / max(std_ref, 0.001) computed exactly (Fractions, power-of-two scaling)', () => {
  // Large values close together (int64 ids, epoch µs): the spread must survive, not be rounded to a few ulps.
  for (const c of fixture<{ name: string; a: Sample; b: Sample; normed: number }>('wasserstein_normed')) {
    it(c.name, () => expectClose(wassersteinNormed(sample(c.a), sample(c.b)), c.normed, 'normed'));
  }
});

describe('wassersteinDistance with ±Infinity gives the Infinity or NaN of SciPy (np.diff semantics)', () => {
  type Value = number | string | null; // "Infinity" / "-Infinity"; null is NaN
  const num = (v: Value) => (v === null ? Number.NaN : Number(v));
  for (const c of fixture<{ name: string; a: Value[]; b: Value[]; distance: Value }>('wasserstein_inf')) {
    it(c.name, () => {
      const got = wassersteinDistance(c.a.map(num), c.b.map(num));
      const want = num(c.distance);
      expect(Number.isFinite(want) ? close(got, want) : Object.is(got, want), `got ${got}, SciPy ${want}`).toBe(true);
    });
  }
});

describe('jensenshannon agrees with scipy.spatial.distance.jensenshannon', () => {
  for (const c of fixture<{ name: string; p: number[]; q: number[]; base: number | null; distance: number }>('jensenshannon')) {
    it(c.name, () => expectClose(jensenshannon(c.p, c.q, c.base ?? undefined), c.distance, 'distance'));
  }
});

describe('spearman agrees with scipy.stats.spearmanr', () => {
  for (const c of fixture<{ name: string; x: Sample; y: Sample; statistic: number; pvalue: number | null }>('spearman')) {
    it(c.name, () => {
      const r = spearman(sample(c.x), sample(c.y));
      expectClose(r.statistic, c.statistic, 'statistic');
      expectClose(r.pvalue, c.pvalue, 'pvalue');
    });
  }
});

describe('mannWhitneyAuc agrees with scipy.stats.mannwhitneyu U / (n1·n0)', () => {
  for (const c of fixture<{ name: string; scores: Sample; labels: Sample; auc: number }>('auc')) {
    it(c.name, () => expectClose(mannWhitneyAuc(sample(c.scores), sample(c.labels)), c.auc, 'auc'));
  }
});

describe('psi and ztest2prop agree with the NumPy/SciPy reference formulas', () => {
  it('psi', () => {
    for (const c of fixture<{ name: string; ref: number[]; cur: number[]; psi: number }>('psi')) expectClose(psi(c.ref, c.cur), c.psi, c.name);
  });
  it('ztest2prop', () => {
    for (const c of fixture<{ s1: number; n1: number; s2: number; n2: number; statistic: number; pvalue: number }>('ztest')) {
      const r = ztest2prop(c.s1, c.n1, c.s2, c.n2);
      expectClose(r.statistic, c.statistic, 'z');
      expectClose(r.pvalue, c.pvalue, 'p');
    }
  });
});

describe('NaN propagates as in SciPy and NumPy (null in the fixture is NaN)', () => {
  type Arg = (number | null)[];
  const nums = (a: Arg) => a.map((v) => v ?? Number.NaN);
  const call: Record<string, (args: Arg[]) => number | number[]> = {
    mannWhitneyAuc: ([s, l]) => mannWhitneyAuc(nums(s), nums(l)),
    rankdata: ([v]) => Array.from(rankdata(nums(v))),
    spearman: ([x, y]) => Object.values(spearman(nums(x), nums(y))),
    psi: ([r, c]) => psi(nums(r), nums(c)),
    jensenshannon: ([p, q]) => jensenshannon(nums(p), nums(q)),
    quantiles: ([v, probs]) => quantiles(nums(v), nums(probs)),
    decileEdges: ([v]) => decileEdges(nums(v)),
  };
  for (const c of fixture<{ fn: string; name: string; args: Arg[]; expected: number | null | (number | null)[] }>('nan')) {
    it(`${c.fn}: ${c.name}`, () => {
      const got = call[c.fn](c.args);
      if (!Array.isArray(c.expected)) return expectClose(got as number, c.expected, c.fn);
      expect(got).toHaveLength(c.expected.length);
      (got as number[]).forEach((v, i) => expectClose(v, (c.expected as (number | null)[])[i], `${c.fn}[${i}]`));
    });
  }
});
