/**
 * What the drift view draws: the reference and current distributions of one
 * feature (overall or in one slice), taken from the drift result's `details`
 * when the check stored them, else rebuilt from the stored profiles: the
 * current profile's histogram is binned on the reference's decile edges, and
 * the reference is binned on the same edges from its own histogram (same
 * edges) or from its 10,000-value sample (then labelled as an estimate).
 */
import type { ColumnProfile } from '../../guards/profile-types.js';
import type { CheckResult } from '../../runs/types.js';
import { comparable } from '../../guards/profile-mask.js';

export interface DriftDistribution {
  readonly kind: 'numeric' | 'categorical';
  /** Numeric: k + 1 edges, outer ones may be null (open-ended). */
  readonly edges?: readonly (number | null)[];
  /** Numeric: smallest and largest value of reference and current, closing the open outer bins. */
  readonly range?: { readonly min: number; readonly max: number };
  /** Categorical: one label per bar. */
  readonly categories?: readonly string[];
  readonly reference: readonly number[];
  readonly current: readonly number[];
  /** Where the numbers come from, shown under the chart. */
  readonly note: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const nums = (v: unknown): number[] | null => (Array.isArray(v) && v.every((x) => typeof x === 'number' || x === null) ? v.map((x) => (x === null ? NaN : (x as number))) : null);
const edgeList = (v: unknown): (number | null)[] | null => (Array.isArray(v) && v.every((x) => typeof x === 'number' || x === null) ? (v as (number | null)[]) : null);

/** Full edges for `counts`: inner edges (k − 1 of them for k counts) get open ends. */
export function fullEdges(edges: readonly (number | null)[], bins: number): (number | null)[] | null {
  if (edges.length === bins + 1) return [...edges];
  if (edges.length === bins - 1) return [null, ...edges, null];
  return null;
}

/** Numeric histogram pairs stored in the result's details (several spellings accepted). */
function fromDetails(details: Obj | null): DriftDistribution | null {
  if (!details) return null;
  const h = details.histogram ?? details.histograms;
  if (isObj(h)) {
    const ref = nums(h.reference ?? h.ref ?? h.reference_counts ?? h.ref_counts);
    const cur = nums(h.current ?? h.cur ?? h.current_counts ?? h.cur_counts);
    const e = edgeList(h.edges ?? h.bins);
    if (ref && cur && e && ref.length === cur.length) {
      const edges = fullEdges(e, ref.length);
      if (edges) return { kind: 'numeric', edges, reference: ref, current: cur, note: 'Counts per bin as the drift check computed them.' };
    }
  }
  const c = details.categories ?? details.category_counts;
  if (isObj(c)) {
    const values = Array.isArray(c.values) ? c.values.map(String) : null;
    const ref = nums(c.reference ?? c.ref);
    const cur = nums(c.current ?? c.cur);
    if (values && ref && cur && ref.length === values.length && cur.length === values.length) {
      return { kind: 'categorical', categories: values, reference: ref, current: cur, note: 'Counts per category as the drift check computed them.' };
    }
  }
  return null;
}

/** Count `sample` values into bins with inner `edges` (bins: (-inf,e0), [e0,e1), ..., [e_last,+inf)). */
export function binSample(sample: readonly number[], innerEdges: readonly number[]): number[] {
  const counts = new Array<number>(innerEdges.length + 1).fill(0);
  for (const v of sample) {
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    let lo = 0;
    let hi = innerEdges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (v >= innerEdges[mid]) lo = mid + 1;
      else hi = mid;
    }
    counts[lo]++;
  }
  return counts;
}

const sameEdges = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) <= 1e-12 * Math.max(1, Math.abs(x)));

/** Rebuild from profiles: the current run's histogram and the reference profile. */
function fromProfiles(current: ColumnProfile | undefined, reference: ColumnProfile | undefined): DriftDistribution | null {
  if (!current || !reference) return null;
  // A masked side (personal data) is compared with the other masked, as the drift check does.
  const [ref, cur] = comparable(reference, current);
  if (cur.kind === 'numeric' && cur.histogram && cur.histogram.counts.length === cur.histogram.edges.length + 1) {
    const inner = cur.histogram.edges;
    let refCounts: number[] | null = null;
    let note = 'Current: exact counts on the reference’s decile edges. Reference: exact counts.';
    if (ref.histogram && sameEdges(ref.histogram.edges, inner)) refCounts = [...ref.histogram.counts];
    else if (Array.isArray(ref.sample) && ref.sample.length > 0) {
      refCounts = binSample(ref.sample as number[], inner);
      note = `Current: exact counts on the reference’s decile edges. Reference: estimated from its ${ref.sample.length.toLocaleString('en-US')}-value sample.`;
    }
    if (refCounts) return { kind: 'numeric', edges: [null, ...inner, null], range: rangeOf(cur, ref), reference: refCounts, current: [...cur.histogram.counts], note };
  }
  if (cur.top && ref.top) {
    const refMap = new Map(ref.top.map((t) => [t.value, t.count]));
    const curMap = new Map(cur.top.map((t) => [t.value, t.count]));
    const values = [...new Set([...ref.top.map((t) => t.value), ...cur.top.map((t) => t.value)])]
      .sort((a, b) => (refMap.get(b) ?? 0) + (curMap.get(b) ?? 0) - ((refMap.get(a) ?? 0) + (curMap.get(a) ?? 0)))
      .slice(0, 20);
    return {
      kind: 'categorical',
      categories: values,
      reference: values.map((v) => refMap.get(v) ?? 0),
      current: values.map((v) => curMap.get(v) ?? 0),
      note: 'Top categories by count in reference and current (shares of all rows of each).',
    };
  }
  return null;
}

function rangeOf(...profiles: (ColumnProfile | undefined)[]): { min: number; max: number } | undefined {
  const mins = profiles.map((p) => p?.min).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const maxs = profiles.map((p) => p?.max).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return mins.length && maxs.length ? { min: Math.min(...mins), max: Math.max(...maxs) } : undefined;
}

/**
 * The reference named in a drift result: a run id or a baseline name, and how to say it. The label the check stored
 * (`details.reference_label`: "the last materialization (run 53dfc2db, 2024-01-10 to 2024-01-12)") when there is one;
 * results stored before it was kept name the run alone, which may have been the previous run or, for a push, the
 * view's last materialization.
 */
export function referenceOf(result: CheckResult): { runId: string | null; baseline: string | null; label: string } {
  const d = isObj(result.details) ? result.details : {};
  const ref = typeof d.reference === 'string' ? d.reference : null;
  const runId = [d.reference_run_id, d.reference_run, d.ref_run_id].find((v): v is string => typeof v === 'string') ?? (ref?.startsWith('run:') ? ref.slice(4) : null);
  const baseline = ref?.startsWith('baseline:') ? ref.slice('baseline:'.length) : null;
  if (typeof d.reference_label === 'string' && d.reference_label) return { runId, baseline, label: d.reference_label };
  const pooled = Array.isArray(d.reference_run_ids) && d.reference_run_ids.length > 1 ? d.reference_run_ids.length : 0;
  const runs = d.reference_kind === 'push' ? ['push', 'pushes'] : ['run', 'runs'];
  const label = baseline
    ? `baseline ${baseline}`
    : pooled && runId
      ? `${pooled} ${runs[1]} pooled (newest ${runId.slice(0, 8)})`
      : runId ? `${runs[0]} ${runId.slice(0, 8)}` : (ref ?? 'an unknown reference');
  return { runId, baseline, label };
}

/** The distributions to draw for one drift result. */
export function driftDistribution(result: CheckResult, current: ColumnProfile | undefined, reference: ColumnProfile | undefined): DriftDistribution | null {
  const d = fromDetails(isObj(result.details) ? result.details : null);
  if (d) return d.kind === 'numeric' && !d.range ? { ...d, range: rangeOf(current, reference) } : d;
  return fromProfiles(current, reference);
}
