import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closest, didYouMean, editDistance, suggestionBudget } from './suggest.js';

describe('suggest', () => {
  it('computes edit distances', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
    expect(editDistance('drfit', 'drift')).toBe(1); // two neighbours swapped: one edit
    expect(editDistance('ca', 'abc')).toBe(3); // optimal string alignment: no edits inside a swapped pair
  });

  it('equals a naive recursive optimal-string-alignment distance', () => {
    // The definition, written out (exponential: short strings only).
    const naive = (a: string, b: string): number => {
      if (a === '') return b.length;
      if (b === '') return a.length;
      const [i, j] = [a.length, b.length];
      const options = [naive(a.slice(0, -1), b) + 1, naive(a, b.slice(0, -1)) + 1, naive(a.slice(0, -1), b.slice(0, -1)) + (a[i - 1] === b[j - 1] ? 0 : 1)];
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) options.push(naive(a.slice(0, -2), b.slice(0, -2)) + 1);
      return Math.min(...options);
    };
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 6 });
    fc.assert(fc.property(word, word, (a, b) => editDistance(a, b) === naive(a, b)), { numRuns: 500 });
    // Bounded: exact within the bound, bound + 1 beyond it.
    fc.assert(fc.property(word, word, fc.nat(4), (a, b, max) => editDistance(a, b, max) === Math.min(naive(a, b), max + 1)), { numRuns: 500 });
  });

  it('spends a budget: lookups stop after it, and long names far from every candidate cost a bounded number of cells', () => {
    const budget = suggestionBudget();
    expect(budget.lookups).toBe(20);
    const known = Array.from({ length: 600 }, (_, i) => `e${String(i).padStart(5, '0')}${'a'.repeat(55)}`);
    // The first lookups find the typo; none is looked for after the budget's lookups.
    for (let i = 0; i < 20; i++) expect(didYouMean(`${known[i].slice(0, -1)}x`, known, budget)).toBe(` (did you mean '${known[i]}'?)`);
    expect(didYouMean(`${known[0].slice(0, -1)}x`, known, budget)).toBe('');
    // A name far from all 600 (55 of 61 characters differ): each comparison stops within about 21 rows of a band
    // of 41 cells (the whole table is 3,721), and the bound shrinks nothing here.
    const far = { lookups: 1, cells: Infinity };
    expect(closest(`u00000${'b'.repeat(55)}`, known, far)).toBeUndefined();
    expect(-far.cells).toBeLessThan(600 * 25 * 41);
    // A spent budget of cells ends the lookup.
    expect(closest(known[599], known, { lookups: 1, cells: 0 })).toBeUndefined();
  });

  it('suggests close names and prefixes, not far ones', () => {
    expect(closest('jion_keys', ['name', 'join_keys', 'kind'])).toBe('join_keys');
    expect(closest('hour_utc', ['origin', 'hour'])).toBe('hour');
    expect(closest('xyz', ['origin', 'hour'])).toBeUndefined();
    expect(didYouMean('airprot', ['airport'])).toBe(" (did you mean 'airport'?)");
    expect(didYouMean('zzz', ['airport'])).toBe('');
    expect(didYouMean('drfit', ['schema', 'drift'])).toBe(" (did you mean 'drift'?)");
  });

  it('suggests no name a whole part of which is another word (three edits in nine characters, yet no typo)', () => {
    expect(closest('avg_delay', ['p90_delay'])).toBeUndefined();
    expect(closest('sum_delay', ['avg_delay', 'sum_delays'])).toBe('sum_delays');
    // Typos inside a part still are: swapped, dropped, one character replaced.
    expect(closest('mean_dealy', ['p90_delay', 'mean_delay'])).toBe('mean_delay');
    expect(closest('p50_delay', ['p90_delay'])).toBe('p90_delay');
    expect(closest('entites', ['entities'])).toBe('entities');
  });
});
