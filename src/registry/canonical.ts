/**
 * Canonical JSON (object keys sorted, `undefined` dropped) and the content hash
 * of a definition: SHA-256 of its canonical JSON. Two definitions with the same
 * content have the same hash whatever their key order or origin (YAML, JSON, SDK).
 */
import { createHash } from 'node:crypto';

/** JSON text with object keys sorted recursively; `undefined` members are dropped. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : sortKeys(v)));
  if (value !== null && typeof value === 'object') {
    // No prototype: a `__proto__` key (a tag or a mapped column may be named so) is a member like any other,
    // where `out[key] = …` on a plain object would set the prototype and drop it from the text and the hash.
    const out = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/**
 * SHA-256 (hex) of the canonical JSON of `value`.
 *
 * @example
 * contentHash({ b: 1, a: 2 }) === contentHash({ a: 2, b: 1 }); // true
 */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value ?? null)).digest('hex');
}
