import { describe, expect, it } from 'vitest';
import type { ColumnProfile } from '../../guards/profile-types.js';
import type { CheckResult } from '../../runs/types.js';
import { binSample, driftDistribution, fullEdges, referenceOf } from './drift-data.js';

const result = (details: Record<string, unknown> | null): CheckResult => ({
  run_id: 'r', check: 'drift', feature: 'x', slice: null, status: 'warn', method: 'psi', value: 0.2, thresholds: null, metrics: null, message: '', details,
});

const profile = (p: Partial<ColumnProfile>): ColumnProfile =>
  ({ column: 'x', type: 'DOUBLE', kind: 'numeric', count: 0, nulls: 0, nan: 0, inf: 0, distinct: 0, min: null, max: null, mean: null, stddev: null, quantiles: null, histogram: null, deciles: null, sample: [], mad: null, outlier_rate: null, outlier_rate_vs_reference: null, top: null, ...p }) as ColumnProfile;

describe('binSample', () => {
  it('counts values into open-ended bins, lower edge inclusive', () => {
    expect(binSample([-5, 0, 0.5, 1, 2, 9, NaN], [0, 1, 2])).toEqual([1, 2, 1, 2]);
  });
});

describe('fullEdges', () => {
  it('accepts full or inner edges', () => {
    expect(fullEdges([0, 1, 2], 2)).toEqual([0, 1, 2]);
    expect(fullEdges([1, 2], 3)).toEqual([null, 1, 2, null]);
    expect(fullEdges([1, 2], 7)).toBeNull();
  });
});

describe('driftDistribution', () => {
  it('prefers the histograms stored by the drift check', () => {
    const d = driftDistribution(result({ histogram: { edges: [-3, 0, 5, 40], reference: [1, 2, 3], current: [3, 2, 1] } }), undefined, undefined);
    expect(d).toMatchObject({ kind: 'numeric', edges: [-3, 0, 5, 40], reference: [1, 2, 3], current: [3, 2, 1] });
  });

  it('reads stored categories', () => {
    const d = driftDistribution(result({ categories: { values: ['a', 'b'], reference: [5, 5], current: [9, 1] } }), undefined, undefined);
    expect(d).toMatchObject({ kind: 'categorical', categories: ['a', 'b'] });
  });

  it('rebuilds from profiles: current histogram, reference binned from its sample on the same edges', () => {
    const cur = profile({ histogram: { edges: [0, 10], counts: [1, 5, 4] }, min: -2, max: 30 });
    const ref = profile({ histogram: { edges: [1, 2], counts: [9, 9, 9] }, sample: [-1, 3, 4, 12, 15, 20], min: -1, max: 20 });
    const d = driftDistribution(result(null), cur, ref)!;
    expect(d.edges).toEqual([null, 0, 10, null]);
    expect(d.current).toEqual([1, 5, 4]);
    expect(d.reference).toEqual([1, 2, 3]);
    expect(d.range).toEqual({ min: -2, max: 30 });
    expect(d.note).toContain('6-value sample');
  });

  it('returns null when nothing is stored', () => {
    expect(driftDistribution(result(null), undefined, undefined)).toBeNull();
  });
});

describe('referenceOf', () => {
  it('names the reference run or baseline', () => {
    expect(referenceOf(result({ reference: 'run:abc', reference_run_id: 'abc' }))).toMatchObject({ runId: 'abc', baseline: null });
    expect(referenceOf(result({ reference: 'baseline:train', reference_run_id: 'r0' }))).toMatchObject({ baseline: 'train', label: 'baseline train' });
  });

  it('says what the reference was as the check named it, and no more than the run for results stored before', () => {
    const label = 'the last materialization (run 53dfc2db, 2024-01-10 to 2024-01-12)';
    expect(referenceOf(result({ reference: 'run:53dfc2db-1111', reference_run_id: '53dfc2db-1111', reference_label: label }))).toEqual({ runId: '53dfc2db-1111', baseline: null, label });
    // Before: a push's reference may have been the view's last materialization, not "the previous run".
    expect(referenceOf(result({ reference: 'run:53dfc2db-1111', reference_run_id: '53dfc2db-1111' })).label).toBe('run 53dfc2db');
    expect(referenceOf(result({ reference: 'previous:3', reference_run_id: 'aaaaaaaa-1', reference_run_ids: ['aaaaaaaa-1', 'b', 'c'], reference_kind: 'push' })).label).toBe('3 pushes pooled (newest aaaaaaaa)');
  });
});
