/**
 * Utf8 and Bool columns of a record batch built straight into Arrow's buffers: 32-bit offsets plus UTF-8 bytes
 * (written by `TextEncoder.encodeInto` into one growing buffer), a bit-packed validity bitmap, and bit-packed
 * booleans. apache-arrow's `vectorFromArray` gives the same layout but about 15x slower on millions of strings.
 */
import { Bool, Utf8, makeData, type Data } from 'apache-arrow';
import { InputError } from '../errors.js';

/** Arrow's Utf8 offsets are signed 32-bit: one column of one record batch holds at most this many bytes. */
export const MAX_UTF8_BYTES = 2 ** 31 - 1;

const encoder = new TextEncoder();
/** Strings up to this many code units are tried as ASCII first (longer ones go to `encodeInto` at once). */
const ASCII_LOOP_MAX = 32;

/**
 * Bytes for a bitmap of `length` bits, rounded up to 64 as apache-arrow's own builders allocate them: the IPC
 * writer copies a bitmap whole, so a `.arrow` file stays byte for byte what `vectorFromArray` made of it.
 */
const bitmapBytes = (length: number): number => (((length + 7) >> 3) + 63) & ~63;

/** The validity bitmap both builders keep: bit i set for a non-null row i, as Arrow lays it out. */
class Validity {
  readonly bits: Uint8Array;
  nulls = 0;
  constructor(length: number) {
    this.bits = new Uint8Array(bitmapBytes(length));
  }
  set(i: number, valid: boolean): void {
    if (valid) this.bits[i >> 3] |= 1 << (i & 7);
    else this.nulls++;
  }
  /** The bitmap, or none when every row is valid (as vectorFromArray gives it). */
  get bitmap(): Uint8Array | null {
    return this.nulls > 0 ? this.bits : null;
  }
}

/** One Utf8 column of `length` rows, appended in order. */
export class Utf8DataBuilder {
  private readonly offsets: Int32Array;
  private readonly validity: Validity;
  private bytes: Uint8Array;
  private size = 0;
  private rows = 0;

  /** `initialBytes` is the first guess at the column's UTF-8 size (it grows by doubling). */
  constructor(private readonly length: number, private readonly maxBytes = MAX_UTF8_BYTES, initialBytes = length * 16) {
    this.offsets = new Int32Array(length + 1);
    this.validity = new Validity(length);
    this.bytes = new Uint8Array(Math.max(64, Math.min(initialBytes, maxBytes)));
  }

  append(s: string | null): void {
    const i = this.rows++;
    this.validity.set(i, s !== null);
    if (s !== null && s.length > 0) {
      // A UTF-16 code unit takes at most 3 UTF-8 bytes (a surrogate pair, 2 units, takes 4).
      if (this.bytes.length - this.size < s.length * 3) this.grow(this.size + s.length * 3);
      this.size += this.encode(s);
      if (this.size > this.maxBytes) this.tooLarge();
    }
    this.offsets[i + 1] = this.size;
  }

  finish(): Data<Utf8> {
    if (this.rows !== this.length) throw new Error(`Utf8DataBuilder: ${this.rows} of ${this.length} rows appended`);
    const { bitmap, nulls } = this.validity;
    // An in-memory table keeps every batch: give back the room the first guess or the doubling left unused.
    const data = this.bytes.length - this.size > this.bytes.length >> 3 ? this.bytes.slice(0, this.size) : this.bytes.subarray(0, this.size);
    return makeData({ type: new Utf8(), length: this.length, nullCount: nulls, nullBitmap: bitmap, valueOffsets: this.offsets, data });
  }

  /**
   * Writes `s` at the end and gives its byte count. Short ASCII text (airport codes, ids) is copied code unit by
   * code unit: `encodeInto` costs about 3x as much per call for such strings, mostly its `subarray`.
   */
  private encode(s: string): number {
    const bytes = this.bytes;
    const at = this.size;
    const n = s.length;
    if (n <= ASCII_LOOP_MAX) {
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        bytes[at + i] = c;
      }
      if (i === n) return n;
    }
    return encoder.encodeInto(s, bytes.subarray(at)).written;
  }

  private grow(atLeast: number): void {
    // Room for the worst case of the next string, capped at what the offsets can address plus that worst case.
    const cap = Math.min(Math.max(atLeast, this.bytes.length * 2), Math.max(atLeast, this.maxBytes));
    const next = new Uint8Array(cap);
    next.set(this.bytes.subarray(0, this.size));
    this.bytes = next;
  }

  private tooLarge(): never {
    throw new InputError(
      `a text column holds more than 2 GiB of UTF-8 in one Arrow record batch (${this.rows} rows), beyond Arrow's 32-bit Utf8 offsets: write Parquet instead`,
      { rows: this.rows, max_bytes: this.maxBytes },
      'arrow_batch_too_large',
    );
  }
}

/** One Bool column of `length` rows, bit-packed, appended in order. */
export class BoolDataBuilder {
  private readonly values: Uint8Array;
  private readonly validity: Validity;
  private rows = 0;

  constructor(private readonly length: number) {
    this.values = new Uint8Array(bitmapBytes(length));
    this.validity = new Validity(length);
  }

  append(v: boolean | null): void {
    const i = this.rows++;
    this.validity.set(i, v !== null);
    if (v === true) this.values[i >> 3] |= 1 << (i & 7);
  }

  finish(): Data<Bool> {
    if (this.rows !== this.length) throw new Error(`BoolDataBuilder: ${this.rows} of ${this.length} rows appended`);
    const { bitmap, nulls } = this.validity;
    return makeData({ type: new Bool(), length: this.length, nullCount: nulls, nullBitmap: bitmap, data: this.values });
  }
}
