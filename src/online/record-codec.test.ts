import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeValues, decodeValueTexts, encodeValues, project, projection } from './record-codec.js';

/** The reference: parse, project, and print each value again (non-finite numbers as JavaScript literals; a feature the vector was written without stays undefined). */
function reference(values: readonly unknown[], proj: Int32Array | null): (string | undefined)[] {
  return project(decodeValues(encodeValues(values)), proj).map((v) =>
    v === undefined ? undefined : typeof v === 'number' && !Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? 'null'));
}

const value = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constant(-0),
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('a,b', '[1,2]', '{"x":1}', 'q"uote', 'back\\slash\\', '\\"', ',', ']'),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.double(), fc.integer(), fc.constant(null)), { maxLength: 4 }),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.bigInt(),
  fc.date({ noInvalidDate: true }),
  fc.array(fc.array(fc.oneof(fc.double(), fc.string()), { maxLength: 3 }), { maxLength: 3 }),
);

describe('decodeValueTexts', () => {
  it('gives the JSON text of each value, as parsing and printing again would (property)', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 8 }), fc.array(fc.integer({ min: -1, max: 9 }), { maxLength: 8 }), fc.boolean(), (values, wanted, identity) => {
        const proj = identity ? null : Int32Array.from(wanted);
        expect(decodeValueTexts(encodeValues(values), proj)).toEqual(reference(values, proj));
      }),
      { numRuns: 2000 },
    );
  });

  it('handles empty vectors, non-finite numbers and features the stored vector lacks', () => {
    expect(decodeValueTexts(encodeValues([]), null)).toEqual([]);
    expect(decodeValueTexts(encodeValues([NaN, -Infinity, [1, NaN], 'x']), null)).toEqual(['NaN', '-Infinity', '[1,null]', '"x"']);
    expect(decodeValueTexts(encodeValues([1, 'a,"b"']), projection(['p', 'q'], ['q', 'gone', 'p']))).toEqual(['"a,\\"b\\""', undefined, '1']);
  });
});
