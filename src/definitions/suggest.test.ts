import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closest, didYouMean, editDistance } from './suggest.js';

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
  });

  it('suggests close names and prefixes, not far ones', () => {
    expect(closest('jion_keys', ['name', 'join_keys', 'kind'])).toBe('join_keys');
    expect(closest('hour_utc', ['origin', 'hour'])).toBe('hour');
    expect(closest('xyz', ['origin', 'hour'])).toBeUndefined();
    expect(didYouMean('airprot', ['airport'])).toBe(" (did you mean 'airport'?)");
    expect(didYouMean('zzz', ['airport'])).toBe('');
    expect(didYouMean('drfit', ['schema', 'drift'])).toBe(" (did you mean 'drift'?)");
  });
});
