/**
 * `featureguard/stats`: the statistics behind the guards, named after SciPy so
 * their numbers mean what you expect, on plain number arrays. Every p-value and
 * statistic agrees with SciPy to 1e-6 relative (tested against SciPy fixtures).
 *
 * @example
 * import { ks2samp, psi, jensenshannon } from 'featureguard/stats';
 * const { statistic, pvalue } = ks2samp(reference, current);
 */
export { mannWhitneyAuc } from './auc.js';
export { chisquare } from './chisquare.js';
export { binCounts, decileEdges, quantiles } from './histogram.js';
export { jensenshannon } from './jensenshannon.js';
export { kstwoSf, smirnovSf } from './kolmogorov.js';
export { ks2samp, ksStatistic, type TestResult } from './ks.js';
export { alignCounts, linf, ztest2prop, type AlignedCounts } from './proportions.js';
export { psi, PSI_EMPTY_SHARE } from './psi.js';
export { rankdata } from './sort.js';
export { betainc, chi2Sf, gammainc, gammaincc, gammaln, normSf, tSf } from './special.js';
export { pearson, spearman } from './spearman.js';
export { wassersteinDistance, wassersteinNormed } from './wasserstein.js';
