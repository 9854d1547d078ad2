import { Bool, Table, Utf8, makeVector, tableToIPC, vectorFromArray, type Data } from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FeatureguardError } from '../errors.js';
import { BoolDataBuilder, Utf8DataBuilder } from './arrow-utf8.js';

/** What a reader sees in an Arrow Data: its length, null count, validity per row, and (for Utf8) offsets and bytes. */
function layout(d: Data): unknown {
  const valid = Array.from({ length: d.length }, (_, i) => d.getValid(i));
  const offsets = d.valueOffsets ? Array.from((d.valueOffsets as Int32Array).subarray(0, d.length + 1)) : null; // apache-arrow pads its own
  const bytes = offsets ? Buffer.from((d.values as Uint8Array).subarray(0, offsets[offsets.length - 1])).toString('hex') : null;
  return { type: String(d.type), length: d.length, nullCount: d.nullCount, valid, offsets, bytes };
}

/** The Arrow IPC file bytes of a one-column table holding `d`: what a `.arrow` dataset holds. */
const ipc = (d: Data): string => Buffer.from(tableToIPC(new Table({ c: makeVector(d) }), 'file')).toString('hex');

function utf8(values: readonly (string | null)[], maxBytes?: number): Data {
  const b = new Utf8DataBuilder(values.length, maxBytes);
  for (const v of values) b.append(v);
  return b.finish();
}

function bools(values: readonly (boolean | null)[]): Data {
  const b = new BoolDataBuilder(values.length);
  for (const v of values) b.append(v);
  return b.finish();
}

/** Strings as DuckDB can hold them: any code points (astral ones too), ASCII, empty, inline (≤ 12 bytes) and long. */
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constant(''),
  // ASCII (airport codes, ids), and ASCII then other characters, around the length the ASCII loop takes.
  fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
  fc.tuple(fc.string({ unit: 'grapheme-ascii', maxLength: 34 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 })).map(([a, b]) => a + b),
  fc.string({ unit: 'binary', minLength: 200, maxLength: 3000 }),
  fc.constantFrom('𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'é', '日本語', '\u0000', 'a\u0000b'),
);
const column = fc.oneof(
  fc.array(fc.option(text, { nil: null, freq: 4 }), { maxLength: 300 }),
  fc.array(text, { maxLength: 100 }),
  fc.array(fc.constant(null), { maxLength: 100 }),
);

describe('Utf8DataBuilder (Utf8 columns built without vectorFromArray)', () => {
  it("lays out offsets, bytes and validity exactly as apache-arrow's vectorFromArray does", () => {
    fc.assert(
      fc.property(column, (values) => {
        const mine = utf8(values);
        const ref = vectorFromArray(values, new Utf8()).data[0];
        expect(layout(mine)).toEqual(layout(ref));
        expect(ipc(mine)).toBe(ipc(ref));
        const offsets = mine.valueOffsets as Int32Array;
        const read = (i: number) => (mine.getValid(i) ? new TextDecoder().decode((mine.values as Uint8Array).subarray(offsets[i], offsets[i + 1])) : null);
        expect(Array.from({ length: mine.length }, (_, i) => read(i))).toEqual(values);
      }),
      { numRuns: 300 },
    );
  });

  it('gives no validity bitmap when there are no nulls, and an all-null column with empty offsets', () => {
    expect(utf8(['a', '', 'bc']).nullBitmap?.length ?? 0).toBe(0);
    // Its byte buffer keeps no unused room (an in-memory table holds every batch).
    expect((utf8(['a', '', 'bc']).values as Uint8Array).buffer.byteLength).toBe(3);
    const allNull = utf8([null, null, null]);
    expect([allNull.nullCount, Array.from(allNull.valueOffsets as Int32Array)]).toEqual([3, [0, 0, 0, 0]]);
    expect(layout(utf8([]))).toEqual(layout(vectorFromArray([], new Utf8()).data[0]));
  });

  it("grows its byte buffer past the first guess (long, 4-byte characters) and refuses a batch beyond Arrow's 32-bit offsets", () => {
    const long = ['😀'.repeat(50_000), 'x', '😀'.repeat(70_000)];
    const b = new Utf8DataBuilder(3, 480_001, 1);
    for (const v of long) b.append(v);
    expect(layout(b.finish())).toEqual(layout(vectorFromArray(long, new Utf8()).data[0]));
    let err: unknown;
    try {
      utf8(['abc', 'defg'], 6);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FeatureguardError);
    expect((err as FeatureguardError).code).toBe('arrow_batch_too_large');
    expect((err as Error).message).toMatch(/2 GiB/);
  });
});

describe('BoolDataBuilder (bit-packed Bool columns)', () => {
  it("gives the values and validity apache-arrow's vectorFromArray gives", () => {
    fc.assert(
      fc.property(fc.oneof(fc.array(fc.option(fc.boolean(), { nil: null }), { maxLength: 200 }), fc.array(fc.boolean(), { maxLength: 70 })), (values) => {
        const mine = bools(values);
        const ref = vectorFromArray(values, new Bool()).data[0];
        expect(layout(mine)).toEqual(layout(ref));
        expect(ipc(mine)).toBe(ipc(ref));
        const read = (d: Data) => Array.from({ length: d.length }, (_, i) => (d.getValid(i) ? ((d.values as Uint8Array)[i >> 3] >> (i & 7)) & 1 : null));
        expect(read(mine)).toEqual(read(ref));
        expect(read(mine)).toEqual(values.map((v) => (v === null ? null : Number(v))));
      }),
      { numRuns: 300 },
    );
  });
});
