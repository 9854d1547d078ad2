import { describe, expect, it } from 'vitest';
import { readQueryInstant } from './query-instant.js';

describe('readQueryInstant', () => {
  it("reads an offset whose '+' arrived as a space as that '+'", () => {
    expect(readQueryInstant('2026-01-01T00:00:00 01:00', 'since').toISOString()).toBe('2025-12-31T23:00:00.000Z');
    expect(readQueryInstant('2026-01-01T00:00 0100', 'since').toISOString()).toBe('2025-12-31T23:00:00.000Z');
    expect(readQueryInstant('2026-01-01 00:00:00', 'since').toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('says to encode the + when a value with a space names no instant', () => {
    expect(() => readQueryInstant('2026-02-30T00:00:00 01:00', "query parameter 'since'", 'since')).toThrow(/February 2026 has 28 days \(a '\+' in a query string is read as a space: encode it as %2B\)$/);
    expect(() => readQueryInstant('2026-02-30', 'since')).toThrow(/has 28 days$/);
  });
});
