/**
 * Drift of one column between a reference profile and a current profile, from
 * the stored profiles only (histograms, samples, top values). The primary
 * method follows Evidently's choice table (QUALITY-CHECKS.md §3 drift); PSI, KS,
 * normed Wasserstein, Jensen–Shannon, L-infinity and the null-rate change are
 * always reported alongside.
 */
import { alignCounts, binCounts, chisquare, jensenshannon, ks2samp, linf, psi, wassersteinNormed, ztest2prop } from '../../stats/index.js';
import type { DriftQuality } from '../config.js';
import { countsOver, topValues } from '../category-counts.js';
import { missingRate, valueCount, type ColumnProfile } from '../profile-types.js';

export interface DriftOutcome {
  method: string;
  /** The primary method's statistic (p-value for tests, distance otherwise). */
  value: number;
  /** Drifted by the primary method or by PSI ≥ psi_fail (counts towards `drift_share`). */
  drifted: boolean;
  /** What said drifted: the primary method, PSI alone, or nothing. */
  driftedBy: 'method' | 'psi' | null;
  status: 'pass' | 'warn' | 'fail';
  thresholds: Record<string, number>;
  metrics: Record<string, number | null>;
  /** Histograms the metrics were computed on (for review pages). */
  histogram?: { edges: number[]; reference: number[]; current: number[] };
  categories?: { values: string[]; reference: number[]; current: number[] };
  nRef: number;
  nCur: number;
}

function fin(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/**
 * Category counts of both sides on the union of their top values, each side's
 * remainder in `__other__`; values missing from an incomplete top list are
 * bounded by its smallest count (`countsOver`).
 */
function comparableCategoryCounts(ref: ColumnProfile, cur: ColumnProfile): { ref: Map<string, number>; cur: Map<string, number> } {
  const values = [...new Set([...topValues(ref), ...topValues(cur)])];
  return { ref: countsOver(ref, values), cur: countsOver(cur, values) };
}

function valueCounts(values: readonly (number | string)[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(String(v), (m.get(String(v)) ?? 0) + 1);
  return m;
}

/**
 * PSI is biased upwards on small samples: under no drift its expectation is about
 * (bins − 1)·(1/n_ref + 1/n_cur). Its warn band only applies when that bias is
 * well below the warn threshold; otherwise PSI is reported but does not warn.
 */
export function psiMeaningful(bins: number, nRef: number, nCur: number, psiWarn: number): boolean {
  return (bins - 1) * (1 / nRef + 1 / nCur) < psiWarn / 4;
}

/**
 * The record's status: `fail` when the primary method or PSI (≥ psi_fail) says drifted, `warn` when PSI is
 * in its warn band, else `pass`; PSI only counts where it is meaningful for the sample sizes.
 */
function psiStatus(drifted: boolean, psiValue: number, q: DriftQuality, meaningful: boolean): 'pass' | 'warn' | 'fail' {
  if (drifted) return 'fail';
  return meaningful && psiValue >= q.psi_warn ? 'warn' : 'pass';
}

/**
 * The record's thresholds: PSI as the method has its two bands, `{warn, fail}` (as in
 * QUALITY-CHECKS.md §1); any other method has its own threshold (`p_value` for the
 * tests, the distance under the method's name) beside the PSI bands that also apply.
 */
function thresholdsOf(method: string, threshold: number, q: DriftQuality): Record<string, number> {
  if (method === 'psi') return { warn: q.psi_warn, fail: q.psi_fail };
  return { [method === 'ks' || method === 'chisquare' || method === 'z' ? 'p_value' : method]: threshold, psi_warn: q.psi_warn, psi_fail: q.psi_fail };
}

function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

/** Chi-square of current counts against reference shares scaled to the current total (Evidently). */
function chiSquareDrift(ref: number[], cur: number[]): { statistic: number; pvalue: number } {
  const nRef = ref.reduce((a, b) => a + b, 0);
  const nCur = cur.reduce((a, b) => a + b, 0);
  const exp = ref.map((r) => (r * nCur) / nRef);
  // A category absent from the reference but present now: infinite statistic (SciPy would return inf, p 0).
  if (exp.some((e, i) => e === 0 && cur[i] > 0)) return { statistic: Number.POSITIVE_INFINITY, pvalue: 0 };
  const keep = exp.map((e, i) => e > 0 || cur[i] > 0);
  return chisquare(cur.filter((_, i) => keep[i]), exp.filter((_, i) => keep[i]));
}

/** Compare one column. Returns null when the column is not comparable (kind mismatch, no data). */
export function driftOf(ref: ColumnProfile, cur: ColumnProfile, q: DriftQuality): DriftOutcome | null {
  const nRef = valueCount(ref);
  const nCur = valueCount(cur);
  if (nRef === 0 || nCur === 0) return null;
  const nullRateChange = cur.count > 0 && ref.count > 0 ? missingRate(cur) - missingRate(ref) : null;
  if (ref.kind === 'numeric' && cur.kind === 'numeric') return numericDrift(ref, cur, q, nRef, nCur, nullRateChange);
  if (ref.kind === 'categorical' && cur.kind === 'categorical') return categoricalDrift(ref, cur, q, nRef, nCur, nullRateChange);
  return null;
}

function numericDrift(ref: ColumnProfile, cur: ColumnProfile, q: DriftQuality, nRef: number, nCur: number, nullRateChange: number | null): DriftOutcome {
  const a = ref.sample as number[];
  const b = cur.sample as number[];
  // PSI on the reference's own decile bins. Its stored histogram has exact counts when it was binned on
  // those edges (no reference of its own); else count its sample. The current profile was binned on the
  // same edges when the reference was known at profiling time.
  const edges = ref.deciles ?? [];
  const sameEdges = (h: ColumnProfile['histogram']) => h !== null && JSON.stringify(h.edges) === JSON.stringify(edges);
  const refHist = sameEdges(ref.histogram) ? ref.histogram!.counts : binCounts(a, edges);
  const curHist = sameEdges(cur.histogram) ? cur.histogram!.counts : binCounts(b, edges);
  const psiValue = safe(() => psi(refHist, curHist), Number.NaN);
  const ks = a.length && b.length ? safe(() => ks2samp(a, b), { statistic: Number.NaN, pvalue: Number.NaN }) : { statistic: Number.NaN, pvalue: Number.NaN };
  const wn = a.length && b.length ? safe(() => wassersteinNormed(a, b), Number.NaN) : Number.NaN;
  const jsHist = safe(() => jensenshannon(refHist, curHist), Number.NaN);

  // n = unique values in reference ∪ current; only its size up to 5 matters, so count exactly (on the samples)
  // only when the approximate distinct counts are small.
  const n = Math.max(ref.distinct ?? Number.POSITIVE_INFINITY, cur.distinct ?? Number.POSITIVE_INFINITY) <= 10 ? new Set([...a, ...b].map(String)).size : Number.POSITIVE_INFINITY;
  let method: string;
  let value: number;
  let drifted: boolean;
  let threshold: number;
  const choice = q.method === 'auto' ? autoNumeric(nRef, n) : q.method;
  const counts = () => alignCounts(valueCounts(a), valueCounts(b));
  switch (choice) {
    case 'z': {
      const c = counts();
      const t = ztest2prop(c.ref[0] ?? 0, a.length, c.cur[0] ?? 0, b.length);
      [method, value, threshold, drifted] = ['z', t.pvalue, q.p_value, t.pvalue < q.p_value];
      break;
    }
    case 'chisquare': {
      const c = counts();
      const t = chiSquareDrift(c.ref, c.cur);
      [method, value, threshold, drifted] = ['chisquare', t.pvalue, q.p_value, t.pvalue < q.p_value];
      break;
    }
    case 'ks':
      [method, value, threshold, drifted] = ['ks', ks.pvalue, q.p_value, ks.pvalue < q.p_value];
      break;
    case 'jensenshannon': {
      const js = n <= 5 ? safe(() => { const c = counts(); return jensenshannon(c.ref, c.cur); }, Number.NaN) : jsHist;
      [method, value, threshold, drifted] = ['jensenshannon', js, q.distance, js >= q.distance];
      break;
    }
    case 'psi':
      [method, value, threshold, drifted] = ['psi', psiValue, q.psi_fail, psiValue >= q.psi_fail];
      break;
    default:
      [method, value, threshold, drifted] = ['wasserstein', wn, q.distance, wn >= q.distance];
  }
  // Chosen as the method (`method: psi`), PSI's bands apply as configured, whatever the sample sizes.
  const meaningful = method === 'psi' || psiMeaningful(refHist.length, nRef, nCur, q.psi_warn);
  const driftedBy = drifted ? 'method' : psiValue >= q.psi_fail && meaningful ? 'psi' : null;
  drifted = driftedBy !== null;
  const status = psiStatus(drifted, psiValue, q, meaningful);
  const lo = Math.min(Number(ref.min ?? 0), Number(cur.min ?? 0));
  const hi = Math.max(Number(ref.max ?? 0), Number(cur.max ?? 0));
  return {
    method, value, drifted, driftedBy, status, nRef, nCur,
    thresholds: thresholdsOf(method, threshold, q),
    metrics: {
      psi: fin(psiValue), ks_statistic: fin(ks.statistic), ks_pvalue: fin(ks.pvalue), wasserstein_normed: fin(wn),
      js_distance: fin(n <= 5 && method === 'jensenshannon' ? value : jsHist), l_inf: null, null_rate_change: nullRateChange,
      mean_ref: ref.mean, mean_cur: cur.mean,
    },
    histogram: { edges: [Math.min(lo, edges[0] ?? lo), ...edges, Math.max(hi, edges[edges.length - 1] ?? hi)], reference: refHist, current: curHist },
  };
}

function autoNumeric(nRef: number, n: number): DriftQuality['method'] {
  if (nRef <= 1000) return n <= 2 ? 'z' : n <= 5 ? 'chisquare' : 'ks';
  return n <= 5 ? 'jensenshannon' : 'wasserstein';
}

function categoricalDrift(ref: ColumnProfile, cur: ColumnProfile, q: DriftQuality, nRef: number, nCur: number, nullRateChange: number | null): DriftOutcome {
  const both = comparableCategoryCounts(ref, cur);
  const c = alignCounts(both.ref, both.cur);
  const n = c.categories.length;
  const psiValue = safe(() => psi(c.ref, c.cur), Number.NaN);
  const js = safe(() => jensenshannon(c.ref, c.cur), Number.NaN);
  const li = safe(() => linf(c.ref, c.cur), Number.NaN);
  let choice = q.method === 'auto' ? (nRef <= 1000 ? (n <= 2 ? 'z' : 'chisquare') : 'jensenshannon') : q.method;
  if (choice === 'ks' || choice === 'wasserstein') choice = 'jensenshannon';
  let method: string;
  let value: number;
  let threshold: number;
  let drifted: boolean;
  if (choice === 'z') {
    // Counts may be sample counts (large tables): proportions out of the counts' own totals.
    const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
    const t = ztest2prop(c.ref[0] ?? 0, sum(c.ref), c.cur[0] ?? 0, sum(c.cur));
    [method, value, threshold, drifted] = ['z', t.pvalue, q.p_value, t.pvalue < q.p_value];
  } else if (choice === 'chisquare') {
    const t = chiSquareDrift(c.ref, c.cur);
    [method, value, threshold, drifted] = ['chisquare', t.pvalue, q.p_value, t.pvalue < q.p_value];
  } else if (choice === 'psi') {
    [method, value, threshold, drifted] = ['psi', psiValue, q.psi_fail, psiValue >= q.psi_fail];
  } else {
    [method, value, threshold, drifted] = ['jensenshannon', js, q.distance, js >= q.distance];
  }
  const meaningful = method === 'psi' || psiMeaningful(c.categories.length, nRef, nCur, q.psi_warn);
  const driftedBy = drifted ? 'method' : psiValue >= q.psi_fail && meaningful ? 'psi' : null;
  drifted = driftedBy !== null;
  const status = psiStatus(drifted, psiValue, q, meaningful);
  return {
    method, value, drifted, driftedBy, status, nRef, nCur,
    thresholds: thresholdsOf(method, threshold, q),
    metrics: { psi: fin(psiValue), ks_statistic: null, ks_pvalue: null, wasserstein_normed: null, js_distance: fin(js), l_inf: fin(li), null_rate_change: nullRateChange },
    categories: { values: c.categories, reference: c.ref, current: c.cur },
  };
}
