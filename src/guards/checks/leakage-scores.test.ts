import { describe, expect, it } from 'vitest';
import { mannWhitneyAuc } from '../../stats/index.js';
import { classBalance } from './class-imbalance-metrics.js';
import { categoricalVsClasses, categoricalVsNumeric, constantOrSingleClass, distinctRatio, numericVsClasses, numericVsNumeric } from './leakage-scores.js';

describe('target leakage scores', () => {
  const label = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? '1' : '0'));
  it('a feature equal to the label scores 1; an inverted one too', () => {
    expect(numericVsClasses(label.map(Number), label).score).toBe(1);
    expect(numericVsClasses(label.map((l) => -Number(l)), label).score).toBe(1);
  });
  it('an unrelated feature scores near 0.5 (AUC) or 0 (predictive power)', () => {
    const noise = label.map((_, i) => (i * 7919) % 101);
    expect(numericVsClasses(noise, label).score).toBeLessThan(0.6);
    const cats = label.map((_, i) => `c${i % 2}`); // independent of i % 3
    expect(categoricalVsClasses(cats, label).score).toBeLessThan(0.05);
  });
  it('binary AUC equals mannWhitneyAuc, including ties', () => {
    const x = label.map((l, i) => (i % 7) + (l === '1' ? 1 : 0));
    const auc = mannWhitneyAuc(x, label.map(Number));
    expect(numericVsClasses(x, label).score).toBeCloseTo(Math.max(auc, 1 - auc), 14);
    expect(numericVsClasses(x, label).metrics.auc).toBeCloseTo(auc, 14);
  });
  it('multiclass: one-vs-rest maximum', () => {
    const y = Array.from({ length: 90 }, (_, i) => ['a', 'b', 'c'][i % 3]);
    const x = y.map((c) => (c === 'b' ? 10 : 0) + ((y.indexOf(c) * 13) % 5)); // only separates 'b'
    const s = numericVsClasses(x, y);
    expect(s.method).toBe('auc_ovr');
    expect(s.score).toBe(1);
  });
  it('multiclass: classes with fewer than minClassRows rows get no one-vs-rest AUC of their own', () => {
    // 20 classes of 200 rows with values unrelated to the class, and a class of 2 rows that happen to hold the
    // 2 largest values: its one-vs-rest AUC is 1, noise.
    const y = [...Array.from({ length: 4000 }, (_, i) => `c${i % 20}`), 'rare', 'rare'];
    const x = [...Array.from({ length: 4000 }, (_, i) => (i * 7919) % 4001), 5000, 5001];
    expect(numericVsClasses(x, y).score).toBe(1);
    const s = numericVsClasses(x, y, { minClassRows: 30 });
    expect(s.score).toBeLessThan(0.6);
    expect(s.metrics).toMatchObject({ classes: 21, classes_scored: 20 });
    // no class large enough: not measurable, saying why
    const few = numericVsClasses([1, 2, 3, 4, 5, 6], ['a', 'b', 'c', 'a', 'b', 'c'], { minClassRows: 30 });
    expect([few.score, few.reason]).toEqual([Number.NaN, 'no class has 30 rows (class_imbalance.min_class_count) to score one-vs-rest']);
  });
  it('categorical predictive power is (acc − base)/(1 − base)', () => {
    // category A: 8×'1', 2×'0'; category B: 10×'0' → acc = 18/20, base = 12/20
    const f = [...Array(10).fill('A'), ...Array(10).fill('B')];
    const y = [...Array(8).fill('1'), ...Array(2).fill('0'), ...Array(10).fill('0')];
    const s = categoricalVsClasses(f, y);
    expect(s.score).toBeCloseTo((0.9 - 0.6) / 0.4, 12);
  });
  it('numeric label: |Spearman|; categorical vs numeric: correlation ratio', () => {
    const x = Array.from({ length: 50 }, (_, i) => i);
    expect(numericVsNumeric(x, x.map((v) => -3 * v + 1)).score).toBeCloseTo(1, 12);
    const cats = x.map((v) => `g${v % 2}`);
    expect(categoricalVsNumeric(cats, x.map((v) => (v % 2) * 100)).score).toBeCloseTo(1, 12);
  });
  it('a ±Infinity label is a missing label; labels near the double range still score (η was NaN)', () => {
    const seg = Array.from({ length: 100 }, (_, i) => `c${i % 5}`);
    const y = seg.map((_, i) => (i % 5) * 10.5);
    const withInf = y.map((v, i) => (i === 7 ? Infinity : i === 8 ? -Infinity : v));
    expect(categoricalVsNumeric(seg, withInf)).toMatchObject({ score: 1, rows: 98 });
    expect(numericVsNumeric(y.map((v) => v + 1), withInf)).toMatchObject({ score: 1, rows: 98 });
    expect(categoricalVsNumeric(seg, y.map((v) => v * 1e154))).toMatchObject({ score: 1, rows: 100 });
    expect(categoricalVsNumeric(seg, y.map((v) => (v - 20) * 1e307)).score).toBeCloseTo(1, 12);
    const noisy = y.map((v, i) => v + ((i * 7919) % 13));
    expect(categoricalVsNumeric(seg, noisy.map((v) => v * 1e300)).score).toBeCloseTo(categoricalVsNumeric(seg, noisy).score, 12);
  });
  it('constantOrSingleClass: what explains a NaN score (missing counts as one value; unlabelled rows do not count)', () => {
    expect(constantOrSingleClass(['a', 'a', 'b'], ['0', '1', null])).toBe(true);
    expect(constantOrSingleClass([1, null, Number.NaN], [0, 1, 2])).toBe(false);
    expect(constantOrSingleClass([null, Number.NaN, null], [0, 1, 2])).toBe(true);
    expect(constantOrSingleClass(['a', 'b', 'c'], [5, 5, Infinity])).toBe(true);
    expect(constantOrSingleClass(['a', 'b', 'c'], [5, 6, Infinity])).toBe(false);
    expect(constantOrSingleClass([], [])).toBe(true);
  });
  it('missing values are ignored (numeric) or their own category (categorical)', () => {
    expect(numericVsClasses([1, null, 0, Number.NaN, 1, 0], ['1', '1', '0', '0', '1', '0']).rows).toBe(4);
    expect(categoricalVsClasses([null, null, 'x', 'x'], ['1', '1', '0', '0']).score).toBe(1);
    expect(distinctRatio(['a', 'b', 'c', null, 'a'])).toBe(0.75);
  });
  it('a numeric feature whose missingness predicts the label scores by its missingness', () => {
    const y = Array.from({ length: 400 }, (_, i) => (i % 4 === 0 ? 'yes' : 'no'));
    const noise = (i: number) => ((i * 7919) % 101) / 10;
    // present exactly when yes: its values alone are one class (no AUC)
    const only = numericVsClasses(y.map((l, i) => (l === 'yes' ? noise(i) : null)), y);
    expect([only.score, only.missingness, only.rows, only.metrics.value_score]).toEqual([1, true, 400, null]);
    // present on every yes row and on 1 in 15 no rows, with values unrelated to the label
    const mostly = numericVsClasses(y.map((l, i) => (l === 'yes' || i % 20 === 1 ? noise(i) : Number.NaN)), y);
    expect(mostly.missingness).toBe(true);
    expect(mostly.score).toBeCloseTo(0.5 + 0.5 * (1 - 20 / 300), 12);
    // a numeric label: |Spearman| of present (1) / missing (0)
    const amount = Array.from({ length: 400 }, (_, i) => i);
    const s = numericVsNumeric(amount.map((v) => (v >= 200 ? noise(v) : null)), amount);
    expect([s.missingness, s.method]).toEqual([true, 'spearman']);
    expect(s.score).toBeGreaterThan(0.85);
    // missing values unrelated to the label: the values' score stays
    const x = y.map((l, i) => (i % 7 === 3 ? null : l === 'yes' ? 1 : 0));
    const kept = numericVsClasses(x, y);
    expect([kept.score, kept.missingness]).toEqual([1, undefined]);
  });
});

describe('class balance', () => {
  it('shares, IR, normalised entropy, vanished classes (no rounding)', () => {
    const b = classBalance(new Map([['no', 900], ['yes', 80], ['maybe', 0]]), ['no', 'yes', 'maybe']);
    expect(b.imbalanceRatio).toBe(11.25);
    expect(b.minorityClass).toBe('yes');
    expect(b.minorityShare).toBe(80 / 980);
    expect(b.vanished).toEqual(['maybe']);
    const p = [900 / 980, 80 / 980];
    expect(b.normalizedEntropy).toBeCloseTo(1 + (p[0] * Math.log(p[0]) + p[1] * Math.log(p[1])) / Math.log(2), 12);
    const even = classBalance(new Map([['a', 5], ['b', 5], ['c', 5]]));
    expect(even.normalizedEntropy).toBeCloseTo(0, 12);
    expect(even.imbalanceRatio).toBe(1);
    expect(classBalance(new Map([['a', 5]])).normalizedEntropy).toBe(1);
  });
});
