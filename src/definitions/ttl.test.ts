import { describe, expect, it } from 'vitest';
import { MAX_DURATION_MS, durationWithinLimit, parseDuration, storedDuration } from './ttl.js';

describe('durations', () => {
  it('read 0 and whole numbers with a unit, up to 100 years', () => {
    expect([parseDuration('0'), parseDuration(undefined), parseDuration('90s'), parseDuration('6h'), parseDuration('36500d')]).toEqual([0, 0, 90_000, 21_600_000, MAX_DURATION_MS]);
    expect(() => parseDuration('36501d')).toThrow("duration '36501d' is longer than 100 years (36500d); use 0 (unlimited) or a shorter one");
    expect(() => parseDuration('6 hours')).toThrow(/invalid duration/);
    expect([durationWithinLimit('876000h'), durationWithinLimit('876001h'), durationWithinLimit('x')]).toEqual([true, false, false]);
  });

  it('hold a stored duration beyond the limit to the limit instead of failing', () => {
    expect(storedDuration('99999999999999999999d')).toBe(MAX_DURATION_MS);
    expect(storedDuration('40000d')).toBe(MAX_DURATION_MS);
    expect(storedDuration('6h')).toBe(21_600_000);
    expect(storedDuration('0')).toBe(0);
    expect(() => storedDuration('6 hours')).toThrow(/invalid duration/);
  });
});
