/**
 * How online stores encode keys and feature vectors: compact JSON, parsed once per
 * read. Non-finite floats (which JSON lacks) are tagged, and only payloads that
 * hold one pay for a reviver. Vectors carry a content hash of their feature list
 * (the "schema") so that values written under an older view version stay readable.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../errors.js';
import type { OnlineKey, OnlineRow, StoredEncoded, StoredValue } from './types.js';

/** Stable text of an entity key, shared by every store: `["SEA"]`, `["SEA","SFO"]`, `[42]`. */
export function encodeKey(key: OnlineKey): string {
  return JSON.stringify(key);
}

const schemaHashes = new Map<string, string>();

/** Short content hash of a feature list (cached). */
export function schemaHash(features: readonly string[], definition?: string): string {
  // The definitions' identity, when given, makes the hash differ where the feature list alone does not (a
  // feature mapped to another column): stores replace a row of equal timestamps written under other ones.
  const text = definition === undefined ? JSON.stringify(features) : JSON.stringify([features, definition]);
  let h = schemaHashes.get(text);
  if (h === undefined) {
    h = createHash('sha1').update(text).digest('hex').slice(0, 12);
    if (schemaHashes.size > 10_000) schemaHashes.clear();
    schemaHashes.set(text, h);
  }
  return h;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The one form an int64 takes online (keys and values alike): a JSON number within ±(2^53 − 1), beyond it the
 * decimal text (as materialization writes DuckDB's BIGINTs), so a key pushed, read or materialized is the same
 * key. Undefined when the text is no integer or lies outside int64.
 *
 * @example
 * onlineInt64('42'); // 42
 * onlineInt64(9007199254740993n); // '9007199254740993'
 */
export function onlineInt64(v: bigint | string): number | string | undefined {
  if (typeof v === 'string' && !/^-?0*[0-9]{1,19}$/.test(v)) return undefined;
  const b = BigInt(v);
  if (b < INT64_MIN || b > INT64_MAX) return undefined;
  const n = Number(b);
  return Number.isSafeInteger(n) ? n : b.toString();
}

const TAGGED = '~';

function jsonValue(v: unknown, tagged: { on: boolean }): unknown {
  switch (typeof v) {
    case 'number':
      if (Number.isFinite(v)) return v;
      tagged.on = true;
      return { $n: String(v) };
    case 'bigint':
      return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    case 'object':
      if (v === null) return null;
      if (v instanceof Date) return v.toISOString();
      if (Array.isArray(v)) return v.map((x) => jsonValue(x, tagged));
      return v;
    case 'undefined':
      return null;
    default:
      return v;
  }
}

/**
 * Refuse (400 `bad_vector`) a batch with a row whose vector does not hold one value
 * per feature of its write session, before anything of the batch is written.
 */
export function checkVectorLengths(view: string, features: readonly string[], rows: readonly OnlineRow[]): void {
  const bad = rows.find((r) => r.values.length !== features.length);
  if (bad === undefined) return;
  throw new InputError(
    `online write to '${view}': a row of key ${encodeKey(bad.key)} has ${bad.values.length} values for ${features.length} features (${features.join(', ')})`,
    { view, key: bad.key, values: bad.values.length, features: features.length },
    'bad_vector',
  );
}

/** Encode a feature vector; with `floats` (per value), whole numbers of float features as `30.0` (see `BeginWriteOptions.floats`). */
export function encodeValues(values: readonly unknown[], floats?: readonly boolean[]): string {
  const tagged = { on: false };
  const out = values.map((v) => jsonValue(v, tagged));
  const text = floats?.includes(true) ? `[${out.map((v, i) => (floats[i] ? floatText(v) : (JSON.stringify(v) ?? 'null'))).join(',')}]` : JSON.stringify(out);
  return tagged.on ? TAGGED + text : text;
}

/** `BeginWriteOptions.floats` of a view's features. */
export function floatFeatures(features: readonly { readonly type: string }[]): boolean[] {
  return features.map((f) => f.type.startsWith('float'));
}

/** JSON text of a float feature's value: a whole number with `.0` (valid JSON, parsed back to the same number). */
function floatText(v: unknown): string {
  if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 1e21) return `${Object.is(v, -0) ? '-0' : v}.0`;
  if (Array.isArray(v)) return `[${v.map(floatText).join(',')}]`;
  return JSON.stringify(v) ?? 'null';
}

function revive(_key: string, v: unknown): unknown {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const n = (v as { $n?: unknown }).$n;
    if (typeof n === 'string') return Number(n);
  }
  return v;
}

/** Decode a feature vector written by `encodeValues`. */
export function decodeValues(text: string): unknown[] {
  if (text.charCodeAt(0) === 126 /* ~ */) return JSON.parse(text.slice(1), revive) as unknown[];
  return JSON.parse(text) as unknown[];
}

/**
 * The JSON text of each value of an encoded vector, projected like
 * `project(decodeValues(text), proj)` (`null` for a feature the vector lacks),
 * without parsing it: the elements of the stored array are sliced out as written
 * (by `JSON.stringify`, which is what `JSON.stringify` of the decoded value gives
 * back, or with `.0` on a float feature's whole numbers, see `encodeValues`). Non-finite numbers, which JSON lacks, come back as the JavaScript
 * literals `NaN`, `Infinity` and `-Infinity` (not JSON: the caller decides how to
 * show them); inside a list as strings (`"NaN"`), or with `bareNonFinite` as the literals too
 * (`[1.5,NaN]`, as Python's `json` writes them: Feast's route). The online API writes these texts
 * as they are, which saves parsing the numbers and printing them again (the largest cost of a
 * 1 × 50 response). Only a vector holding a non-finite number (tagged) pays for either.
 */
export function decodeValueTexts(text: string, proj: Int32Array | null, bareNonFinite = false): (string | undefined)[] {
  const texts = text.charCodeAt(0) === 126 /* ~ */ ? taggedTexts(text, bareNonFinite) : splitJsonArray(text);
  if (proj === null) return texts;
  const out = new Array<string | undefined>(proj.length);
  // A feature the record was written without (added to the view since): undefined, not a stored null.
  for (let i = 0; i < proj.length; i++) out[i] = proj[i] < 0 ? undefined : (texts[proj[i]] ?? 'null');
  return out;
}

const TAGGED_NON_FINITE = /\{"\$n":"(NaN|Infinity|-Infinity)"\}/g;

/**
 * The element texts of a tagged vector: as stored, with each tagged non-finite number (`{"$n":"NaN"}`) replaced
 * in place: a value's own as its JavaScript literal (the caller decides how to show it), one inside a list as
 * the string protobuf's JSON mapping writes for it (`["NaN",1.0]`: the list stays JSON, and the element is not
 * confused with a missing one, as `null` would be), or with `bare` as the literal (`[NaN,1.0]`), the list's
 * other numbers as stored (`1.0`, not `1`: a float list's whole numbers keep their `.0`).
 */
function taggedTexts(text: string, bare: boolean): string[] {
  return splitJsonArray(text.slice(1)).map((t) => {
    if (!t.includes('"$n"')) return t;
    if (t.charCodeAt(0) === 123 /* { */) return String(decodeValues(`~[${t}]`)[0]);
    return t.replace(TAGGED_NON_FINITE, bare ? '$1' : '"$1"');
  });
}

/** Text of a JSON array with no string, list or object inside: every comma separates two elements. */
const FLAT = /^\[[^"[{]*\]$/;

/** The element texts of a JSON array written by `JSON.stringify` (no whitespace). */
function splitJsonArray(text: string): string[] {
  const end = text.length - 1;
  if (end <= 1) return [];
  if (FLAT.test(text)) return text.slice(1, end).split(',');
  const out: string[] = [];
  let depth = 0;
  let start = 1;
  for (let i = 1; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // Skip the string: a backslash escapes the next character.
      for (i++; i < end; i++) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i++;
        else if (d === 34) break;
      }
    } else if (c === 91 /* [ */ || c === 123 /* { */) depth++;
    else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
    else if (c === 44 /* , */ && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start, end));
  return out;
}

/**
 * Positions of `wanted` features inside a stored schema (`-1` when absent), or
 * `null` when the two lists are identical (the common case: no remapping).
 */
export function projection(stored: readonly string[], wanted: readonly string[]): Int32Array | null {
  if (stored.length === wanted.length && stored.every((f, i) => f === wanted[i])) return null;
  const pos = new Map(stored.map((f, i) => [f, i]));
  return Int32Array.from(wanted, (f) => pos.get(f) ?? -1);
}

/** Apply a `projection` to decoded values. */
export function project(values: unknown[], proj: Int32Array | null): unknown[] {
  if (proj === null) return values;
  const out = new Array<unknown>(proj.length);
  // A feature the record was written without (added to the view since): undefined, not a stored null.
  for (let i = 0; i < proj.length; i++) out[i] = proj[i] < 0 ? undefined : (values[proj[i]] ?? null);
  return out;
}

/** Turns a stored record's payload, projection and timestamps into what a store read returns (every store's two reads). */
export type RecordDecoder<T> = (payload: string, proj: Int32Array | null, eventTs: number, createdTs: number) => T;
/** `readMany`: the values, parsed and projected. */
export const asStoredValue: RecordDecoder<StoredValue> = (payload, proj, eventTs, createdTs) => ({ values: project(decodeValues(payload), proj), eventTs, createdTs });
/** `readManyEncoded`: the payload as stored, with its projection. */
export const asStoredEncoded: RecordDecoder<StoredEncoded> = (encoded, projection, eventTs, createdTs) => ({ encoded, projection, eventTs, createdTs });

/** Caches projections per (schema hash, requested feature list). */
export class ProjectionCache {
  private readonly byWanted = new WeakMap<readonly string[], Map<string, Int32Array | null>>();

  get(hash: string, stored: readonly string[] | undefined, wanted: readonly string[]): Int32Array | null | undefined {
    let m = this.byWanted.get(wanted);
    if (!m) this.byWanted.set(wanted, (m = new Map()));
    if (m.has(hash)) return m.get(hash);
    if (stored === undefined) return undefined;
    const p = projection(stored, wanted);
    m.set(hash, p);
    return p;
  }
}
