/**
 * Target leakage scores of one feature against the label (pure functions over
 * plain arrays). A score near 1 means the feature alone predicts the label:
 * - binary label, numeric feature: max(AUC, 1 − AUC), AUC from Mann–Whitney U
 *   (as `mannWhitneyAuc` in featureguard/stats, average ranks for ties);
 * - multiclass label, numeric feature: one-vs-rest, the largest of those, over
 *   the classes with at least `minClassRows` rows (class_imbalance.min_class_count);
 * - numeric label, numeric feature: |Spearman ρ|;
 * - a numeric feature with missing values: also its missingness (1 present, 0
 *   missing) scored the same way; the larger score is reported;
 * - categorical feature, class label: predictive power, (acc − base)/(1 − base)
 *   where acc is the accuracy of predicting each category's majority label and
 *   base the majority class share;
 * - categorical feature, numeric label: the correlation ratio η (share of the
 *   label's spread explained by the category means, square-rooted).
 */
import { rankdata, spearman } from '../../stats/index.js';

export type LabelKind = 'binary' | 'multiclass' | 'numeric';

/** Label values: class names (strings) for class labels, numbers for numeric labels; null = missing. */
export type LabelValues = readonly (string | null)[] | readonly (number | null)[];

export interface LeakageScore {
  /** In [0, 1]; NaN when it cannot be computed (too few rows, constant feature...). */
  readonly score: number;
  readonly method: 'auc' | 'auc_ovr' | 'spearman' | 'predictive_power' | 'correlation_ratio';
  /** Rows used (label and feature both present; every labelled row for a missingness score). */
  readonly rows: number;
  readonly metrics: Record<string, number | null>;
  /** The score is that of the feature's missingness (present or null), which predicts the label better than its values. */
  readonly missingness?: boolean;
  /** Why the score is NaN, when the generic reason (a constant feature, a single class) is not it. */
  readonly reason?: string;
}

const isPresent = (v: unknown): boolean => v !== null && v !== undefined && !(typeof v === 'number' && Number.isNaN(v));

/**
 * A label value: not missing, and a number label's ±Infinity counts as missing, as `labelPresent` reads it (one
 * Infinity made every category mean Infinity and the correlation ratio NaN). A feature's ±Infinity stays a
 * value: it ranks above (below) every number.
 */
const hasLabel = (v: unknown): boolean => v !== null && v !== undefined && !(typeof v === 'number' && !Number.isFinite(v));

/**
 * Whether a NaN score is explained by the data: on the labelled rows the feature takes a single value (missing
 * counting as one) or the label does. Any other NaN is a failure to compute, not a verdict on the feature.
 */
export function constantOrSingleClass(feature: readonly (string | number | null)[], label: readonly (string | number | null)[]): boolean {
  const values = new Set<string | number | null>();
  const labels = new Set<string | number | null>();
  for (let i = 0; i < feature.length; i++) {
    if (!hasLabel(label[i])) continue;
    values.add(isPresent(feature[i]) ? feature[i] : null);
    labels.add(label[i]);
    if (values.size > 1 && labels.size > 1) return false;
  }
  return true;
}

/**
 * A numeric feature's rows with a label, split: its present values with their labels, and for every labelled row
 * whether the feature is present (1) or missing (0). Missingness can leak as well as values (a refund amount that
 * exists only for cancelled orders), and scoring present values alone never sees it.
 */
function splitPresent<L>(feature: readonly (number | null)[], label: readonly (L | null)[]) {
  const xs: number[] = [];
  const ys: L[] = [];
  const present: number[] = [];
  const labelled: L[] = [];
  for (let i = 0; i < feature.length; i++) {
    const l = label[i];
    if (!hasLabel(l)) continue;
    const has = isPresent(feature[i]);
    labelled.push(l as L);
    present.push(has ? 1 : 0);
    if (has) {
      xs.push(feature[i] as number);
      ys.push(l as L);
    }
  }
  return { xs, ys, present, labelled };
}

/** The values' score, or the missingness' when the feature has missing values and it is larger. */
function withMissingness(values: LeakageScore, missing: LeakageScore | null, labelled: number): LeakageScore {
  if (!missing) return values;
  const metrics = { value_score: Number.isFinite(values.score) ? values.score : null, missing_score: Number.isFinite(missing.score) ? missing.score : null, missing_share: 1 - values.rows / labelled };
  if (Number.isFinite(missing.score) && !(missing.score <= values.score)) return { ...missing, missingness: true, metrics: { ...missing.metrics, ...metrics } };
  return { ...values, metrics: { ...values.metrics, ...metrics } };
}

/**
 * AUC-based score of a numeric feature against class labels (binary or one-vs-rest), the larger of its present
 * values' and its missingness' when it has missing values.
 */
export function numericVsClasses(feature: readonly (number | null)[], label: readonly (string | null)[], opts: { minClassRows?: number } = {}): LeakageScore {
  const { xs, ys, present, labelled } = splitPresent(feature, label);
  const min = opts.minClassRows ?? 1;
  return withMissingness(aucVsClasses(xs, ys, min), xs.length < labelled.length ? aucVsClasses(present, labelled, min) : null, labelled.length);
}

function aucVsClasses(xs: readonly number[], ys: readonly string[], minClassRows: number): LeakageScore {
  const classes = [...new Set(ys)].sort();
  if (classes.length < 2) return { score: Number.NaN, method: 'auc', rows: xs.length, metrics: {} };
  // One ranking serves every class: AUC_c = (R_c − n_c(n_c+1)/2) / (n_c (n − n_c)), R_c the rank sum of class c.
  const ranks = rankdata(xs);
  const rankSum = new Map<string, number>();
  const count = new Map<string, number>();
  for (let i = 0; i < ys.length; i++) {
    rankSum.set(ys[i], (rankSum.get(ys[i]) ?? 0) + ranks[i]);
    count.set(ys[i], (count.get(ys[i]) ?? 0) + 1);
  }
  const n = xs.length;
  const binary = classes.length === 2;
  // One-vs-rest of a class of a few rows is noise: the AUC of 1 to 3 random rows is often near 0 or 1, and the
  // largest over many classes would call noise leakage. Those classes stay in the rest but get no AUC of their own.
  const targets = binary ? [classes[1]] : classes.filter((c) => count.get(c)! >= minClassRows);
  if (!targets.length) {
    return { score: Number.NaN, method: 'auc_ovr', rows: xs.length, metrics: { classes: classes.length, classes_scored: 0 }, reason: `no class has ${minClassRows} rows (class_imbalance.min_class_count) to score one-vs-rest` };
  }
  let best = Number.NaN;
  let bestClass: string | null = null;
  let bestAuc = Number.NaN;
  for (const c of targets) {
    const nc = count.get(c)!;
    const auc = (rankSum.get(c)! - (nc * (nc + 1)) / 2) / (nc * (n - nc));
    const s = Math.max(auc, 1 - auc);
    if (!(s <= best)) {
      best = s;
      bestClass = c;
      bestAuc = auc;
    }
  }
  return {
    score: best,
    method: binary ? 'auc' : 'auc_ovr',
    rows: n,
    metrics: { auc: bestAuc, classes: classes.length, ...(binary ? {} : { classes_scored: targets.length, worst_class_index: bestClass === null ? null : classes.indexOf(bestClass) }) },
  };
}

/** |Spearman ρ| of a numeric feature against a numeric label, the larger of its present values' and its missingness'. */
export function numericVsNumeric(feature: readonly (number | null)[], label: readonly (number | null)[]): LeakageScore {
  const { xs, ys, present, labelled } = splitPresent(feature, label);
  return withMissingness(spearmanScore(xs, ys), xs.length < labelled.length ? spearmanScore(present, labelled) : null, labelled.length);
}

function spearmanScore(xs: readonly number[], ys: readonly number[]): LeakageScore {
  const r = spearman(xs, ys);
  return { score: Math.abs(r.statistic), method: 'spearman', rows: xs.length, metrics: { spearman_rho: r.statistic, spearman_pvalue: r.pvalue } };
}

/** Predictive power of a categorical feature (missing is its own category) for class labels. */
export function categoricalVsClasses(feature: readonly (string | null)[], label: readonly (string | null)[]): LeakageScore {
  const perCategory = new Map<string, Map<string, number>>();
  const overall = new Map<string, number>();
  let n = 0;
  for (let i = 0; i < feature.length; i++) {
    const l = label[i];
    if (!hasLabel(l)) continue;
    const cat = isPresent(feature[i]) ? `v:${feature[i]}` : 'null';
    let m = perCategory.get(cat);
    if (!m) perCategory.set(cat, (m = new Map()));
    m.set(l as string, (m.get(l as string) ?? 0) + 1);
    overall.set(l as string, (overall.get(l as string) ?? 0) + 1);
    n++;
  }
  if (n === 0 || overall.size < 2) return { score: Number.NaN, method: 'predictive_power', rows: n, metrics: {} };
  let correct = 0;
  for (const m of perCategory.values()) correct += Math.max(...m.values());
  const acc = correct / n;
  const base = Math.max(...overall.values()) / n;
  const score = (acc - base) / (1 - base);
  return { score, method: 'predictive_power', rows: n, metrics: { accuracy: acc, base_accuracy: base, categories: perCategory.size } };
}

/** Correlation ratio η of a categorical feature (missing is its own category) and a numeric label. */
export function categoricalVsNumeric(feature: readonly (string | null)[], label: readonly (number | null)[]): LeakageScore {
  const ys: number[] = [];
  const cats: string[] = [];
  let scale = 0;
  for (let i = 0; i < feature.length; i++) {
    const y = label[i];
    if (!hasLabel(y)) continue;
    ys.push(y as number);
    cats.push(isPresent(feature[i]) ? `v:${feature[i]}` : 'null');
    scale = Math.max(scale, Math.abs(y as number));
  }
  // η does not change with the label's scale: labels divided by the largest |label| keep every sum and square
  // finite (labels near 1e155 overflowed the squares to Infinity, and η came out NaN).
  if (scale > 0) for (let i = 0; i < ys.length; i++) ys[i] /= scale;
  const groups = new Map<string, { n: number; sum: number }>();
  for (let i = 0; i < ys.length; i++) {
    const g = groups.get(cats[i]) ?? { n: 0, sum: 0 };
    g.n++;
    g.sum += ys[i];
    groups.set(cats[i], g);
  }
  const n = ys.length;
  const mean = ys.reduce((a, b) => a + b, 0) / n;
  let ssTotal = 0;
  let ssWithin = 0;
  for (let i = 0; i < n; i++) {
    const g = groups.get(cats[i])!;
    ssTotal += (ys[i] - mean) ** 2;
    ssWithin += (ys[i] - g.sum / g.n) ** 2;
  }
  const eta = ssTotal > 0 ? Math.sqrt(Math.max(0, 1 - ssWithin / ssTotal)) : Number.NaN;
  return { score: eta, method: 'correlation_ratio', rows: n, metrics: { categories: groups.size } };
}

/** Distinct non-null values / non-null rows: above the identifier ratio a categorical is identifier-like. */
export function distinctRatio(feature: readonly (string | null)[]): number {
  const seen = new Set<string>();
  let n = 0;
  for (const v of feature) {
    if (!isPresent(v)) continue;
    seen.add(v as string);
    n++;
  }
  return n ? seen.size / n : 0;
}
