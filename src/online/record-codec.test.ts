import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeValues, decodeValueTexts, encodeValues, project, projection } from './record-codec.js';

/**
 * The reference: parse, project, and print each value again (a non-finite number as its JavaScript literal, inside a
 * list as that literal's string, `"NaN"`; a feature the vector was written without stays undefined).
 */
function reference(values: readonly unknown[], proj: Int32Array | null): (string | undefined)[] {
  const nonFinite = (_key: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);
  return project(decodeValues(encodeValues(values)), proj).map((v) =>
    v === undefined ? undefined : typeof v === 'number' && !Number.isFinite(v) ? String(v) : (JSON.stringify(v, nonFinite) ?? 'null'));
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

  it('writes whole numbers of float features as 30.0 (Feast types a value by its JSON form), parsed back to the same numbers (property)', () => {
    const num = fc.oneof(fc.double(), fc.integer(), fc.constant(-0), fc.constantFrom(1e21, -1e22, 2 ** 53));
    const v = fc.oneof(num, fc.constant(null), fc.array(num, { maxLength: 3 }), fc.string(), fc.boolean());
    fc.assert(
      fc.property(fc.array(fc.tuple(v, fc.boolean()), { maxLength: 6 }), (cells) => {
        const values = cells.map(([x]) => x);
        const floats = cells.map(([, f]) => f);
        const text = encodeValues(values, floats);
        // Same values back: a float feature's -0 with its sign (`-0.0`, as Python's json writes it), another's as 0,
        // as JSON.stringify writes it.
        const signed = (x: unknown, back: unknown): unknown => (Object.is(x, -0) ? -0 : Array.isArray(x) ? x.map((e, j) => signed(e, (back as unknown[])[j])) : back);
        expect(decodeValues(text)).toEqual(decodeValues(encodeValues(values)).map((back, i) => (floats[i] ? signed(values[i], back) : back)));
        const texts = decodeValueTexts(text, null);
        cells.forEach(([x, f], i) => {
          const whole = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && Math.abs(n) < 1e21;
          if (f && whole(x)) expect(texts[i]).toBe(`${Object.is(x, -0) ? '-0' : (x as number)}.0`);
          if (!f) expect(texts[i]).toBe(reference([x], null)[0]);
        });
      }),
      { numRuns: 2000 },
    );
    expect(decodeValueTexts(encodeValues([30, 1.5, 7, [1, 2.5], null, NaN], [true, true, false, true, true, true]), null)).toEqual(['30.0', '1.5', '7', '[1.0,2.5]', 'null', 'NaN']);
  });

  it('handles empty vectors, non-finite numbers and features the stored vector lacks', () => {
    expect(decodeValueTexts(encodeValues([]), null)).toEqual([]);
    expect(decodeValueTexts(encodeValues([NaN, -Infinity, [1, NaN], 'x']), null)).toEqual(['NaN', '-Infinity', '[1,"NaN"]', '"x"']);
    // A float list with a non-finite element keeps the .0 of its whole numbers (Feast clients type values by their JSON form).
    expect(decodeValueTexts(encodeValues([[NaN, 1, 2.5], -Infinity], [true, true]), null)).toEqual(['["NaN",1.0,2.5]', '-Infinity']);
    expect(decodeValueTexts(encodeValues([1, 'a,"b"']), projection(['p', 'q'], ['q', 'gone', 'p']))).toEqual(['"a,\\"b\\""', undefined, '1']);
  });

  it('with bareNonFinite writes non-finite list elements as Python\'s json does (Feast\'s route), a string "NaN" still a string', () => {
    const text = encodeValues([[NaN, 1, -Infinity], Infinity, 'NaN', [2.5]], [true, true, false, true]);
    expect(decodeValueTexts(text, null, true)).toEqual(['[NaN,1.0,-Infinity]', 'Infinity', '"NaN"', '[2.5]']);
    expect(decodeValueTexts(text, projection(['a', 'b', 'c', 'd'], ['d', 'a']), true)).toEqual(['[2.5]', '[NaN,1.0,-Infinity]']);
    // An untagged vector is sliced as before.
    expect(decodeValueTexts(encodeValues([[1, 2], 'x']), null, true)).toEqual(['[1,2]', '"x"']);
  });
});
