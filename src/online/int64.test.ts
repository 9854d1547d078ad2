/**
 * int64 online, end to end in form: what a push accepts (its JSON Schema pattern), the one form keys and
 * values take online (`onlineInt64`), against BigInt arithmetic on random integers across and beyond the range.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INT64_STRING } from '../serving/push-schema.js';
import { onlineInt64 } from './record-codec.js';

const MIN = -(2n ** 63n);
const MAX = 2n ** 63n - 1n;
const pattern = new RegExp(INT64_STRING);
// Integers near every power of ten and near the ends of the range, and anything up to 21 digits.
const integer = fc.oneof(
  fc.bigInt({ min: MIN - 1000n, max: MIN + 1000n }),
  fc.bigInt({ min: MAX - 1000n, max: MAX + 1000n }),
  fc.integer({ min: 0, max: 20 }).chain((e) => fc.bigInt({ min: -1000n, max: 1000n }).map((d) => 10n ** BigInt(e) + d)),
  fc.bigInt({ min: -(10n ** 21n), max: 10n ** 21n }),
);

describe('int64 online', () => {
  it('a push takes exactly the digit strings of int64, with or without leading zeros (property)', () => {
    fc.assert(
      fc.property(integer, fc.nat({ max: 3 }), (b, zeros) => {
        const text = b < 0n ? `-${'0'.repeat(zeros)}${-b}` : `${'0'.repeat(zeros)}${b}`;
        expect(pattern.test(text)).toBe(b >= MIN && b <= MAX);
      }),
      { numRuns: 5000 },
    );
    expect(['', '-', '1.5', '1e3', ' 1', '0x10', '+1'].filter((t) => pattern.test(t))).toEqual([]);
  });

  it('is a JSON number within ±(2^53 − 1) and the decimal text beyond, from text and bigint alike (property)', () => {
    fc.assert(
      fc.property(integer, (b) => {
        const want = b < MIN || b > MAX ? undefined : Number.isSafeInteger(Number(b)) ? Number(b) : b.toString();
        expect(onlineInt64(b)).toEqual(want);
        expect(onlineInt64(b.toString())).toEqual(want);
      }),
      { numRuns: 5000 },
    );
    expect(onlineInt64('9007199254740993')).toBe('9007199254740993'); // what materialization writes for DuckDB's BIGINT
    expect(onlineInt64('007')).toBe(7);
  });
});
