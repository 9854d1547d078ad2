/**
 * The tamper check's band hashes: the rows a run read that were created within the landing delay before it read
 * (after a range's `known_by`, up to its `read_at`) are not settled, late landings may still add rows there. Each
 * such row's content hash (DuckDB's `hash` of the checksum columns) is recorded with the range, and a later run
 * requires every one of them among the band's rows then (`bandHoldsAll`): a row edited or deleted there is told
 * from a late landing beside it, which a row count and checksum cannot do.
 *
 * @example
 * const blob = packHashes([3n, 7n]); // stored in guard_partitions.band_hashes
 * bandHoldsAll([3n, 5n, 7n], unpackHashes(blob)); // true: 5 landed late
 * bandHoldsAll([3n, 5n], unpackHashes(blob)); // false: 7 was edited or deleted
 */

/**
 * Band rows (created after a range's `known_by`, up to its `read_at`) hashed per range at most: above it a range's
 * band is checked by its row count and checksum only. 8 bytes each in the state database (400 KB per range at most).
 */
export const BAND_HASHES_MAX = 50_000;

/** Hashes (DuckDB's `hash`, unsigned 64-bit) as a BLOB of 8 bytes each, big-endian. */
export function packHashes(hashes: readonly bigint[]): Buffer {
  const out = Buffer.alloc(hashes.length * 8);
  hashes.forEach((h, i) => out.writeBigUInt64BE(h, i * 8));
  return out;
}

/** The hashes `packHashes` stored. */
export function unpackHashes(blob: Uint8Array): bigint[] {
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  return Array.from({ length: Math.floor(buf.length / 8) }, (_, i) => buf.readBigUInt64BE(i * 8));
}

/** Whether `have` holds every hash of `want` as many times (multiset containment). */
export function bandHoldsAll(have: readonly bigint[], want: readonly bigint[]): boolean {
  const left = new Map<bigint, number>();
  for (const h of want) left.set(h, (left.get(h) ?? 0) + 1);
  for (const h of have) {
    const n = left.get(h);
    if (n === undefined) continue;
    if (n === 1) left.delete(h);
    else left.set(h, n - 1);
  }
  return left.size === 0;
}
