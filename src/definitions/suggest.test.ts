import { describe, expect, it } from 'vitest';
import { closest, didYouMean, editDistance } from './suggest.js';

describe('suggest', () => {
  it('computes edit distances', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });

  it('suggests close names and prefixes, not far ones', () => {
    expect(closest('jion_keys', ['name', 'join_keys', 'kind'])).toBe('join_keys');
    expect(closest('hour_utc', ['origin', 'hour'])).toBe('hour');
    expect(closest('xyz', ['origin', 'hour'])).toBeUndefined();
    expect(didYouMean('airprot', ['airport'])).toBe(" (did you mean 'airport'?)");
    expect(didYouMean('zzz', ['airport'])).toBe('');
  });
});
