import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OnlineFeaturesResponse } from '../serving/online-features.js';
import { feastResponseJson } from './feast-json.js';

const anyValue = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.double(), { maxLength: 4 }),
);

const response = fc.integer({ min: 0, max: 5 }).chain((rows) =>
  fc.record({
    metadata: fc.record({ feature_names: fc.array(fc.string({ unit: 'binary' }), { maxLength: 6 }) }),
    results: fc.array(
      fc.record({
        values: fc.array(anyValue, { minLength: rows, maxLength: rows }),
        statuses: fc.array(fc.constantFrom('PRESENT', 'NOT_FOUND', 'NULL_VALUE', 'OUTSIDE_MAX_AGE'), { minLength: rows, maxLength: rows }),
        event_timestamps: fc.array(fc.oneof(fc.constant('2001-01-01T00:00:00Z'), fc.string({ unit: 'binary' })), { minLength: rows, maxLength: rows }),
      }),
      { maxLength: 6 },
    ),
  }),
);

describe('feastResponseJson', () => {
  it('is byte-identical to JSON.stringify', () => {
    fc.assert(
      fc.property(response, (r) => {
        expect(feastResponseJson(r as OnlineFeaturesResponse)).toBe(JSON.stringify(r));
      }),
      { numRuns: 500 },
    );
  });

  it('handles non-finite numbers, nested lists and escapes like JSON.stringify', () => {
    const r = {
      metadata: { feature_names: ['k', 'q"uote'] },
      results: [
        { values: [NaN, Infinity, -0, 1e21, [1.5, NaN], 'a\nb', '\u2028', true], statuses: ['PRESENT'], event_timestamps: ['x"y'] },
      ],
    } as unknown as OnlineFeaturesResponse;
    expect(feastResponseJson(r)).toBe(JSON.stringify(r));
  });
});

describe('feastResponseJson on large responses', () => {
  it('is byte-identical for 100 × 50', () => {
    const r = {
      metadata: { feature_names: ['id', ...Array.from({ length: 50 }, (_, i) => `f${i}`)] },
      results: Array.from({ length: 51 }, (_, j) => ({
        values: Array.from({ length: 100 }, (_, i) => (j === 0 ? `e${i}` : i * 0.1 + j)),
        statuses: Array.from({ length: 100 }, () => 'PRESENT'),
        event_timestamps: Array.from({ length: 100 }, () => '2001-01-01T00:00:00Z'),
      })),
    } as unknown as OnlineFeaturesResponse;
    expect(feastResponseJson(r)).toBe(JSON.stringify(r));
  });
});
