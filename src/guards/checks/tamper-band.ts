/**
 * The tamper check's band hashes: the rows a run read that were created within the landing delay before it read
 * (after a range's `known_by`, up to its `read_at`) are not settled, late landings may still add rows there. Each
 * such row's content hash (DuckDB's `hash` of the checksum columns) is recorded with the range, and a later run
 * requires every one of them among the band's rows then (`bandHoldsAll`): a row edited or deleted there is told
 * from a late landing beside it, which a row count and checksum cannot do.
 *
 * Hashes travel as `BigUint64Array`s: read from DuckDB's vectors (`queryHashRows`, no string per hash), stored as 8
 * bytes each, and sorted as typed arrays only when a band is compared (a merge of the two sorted lists).
 *
 * @example
 * const blob = packHashes(hashList([3n, 7n])); // stored in guard_partitions.band_hashes
 * bandHoldsAll(hashList([3n, 5n, 7n]), unpackHashes(blob)); // true: 5 landed late
 * bandHoldsAll(hashList([3n, 5n]), unpackHashes(blob)); // false: 7 was edited or deleted
 */
import { endianness } from 'node:os';
import { DuckDBTypeId, JsonDuckDBValueConverter, type DuckDBConnection, type DuckDBListVector } from '@duckdb/node-api';

/**
 * Band rows (created after a range's `known_by`, up to its `read_at`) hashed per range at most: above it a range's
 * band is checked by its row count and checksum only. 8 bytes each in the state database (80 KB per range at most),
 * kept by the newest record of a range only.
 * 10,000, not 50,000: a first backfill of 3M rows all in the band (16,000 a day) read, stored and re-checked 3M
 * hashes, the guard stage 2× as long as without them (see README).
 */
export const BAND_HASHES_MAX = 10_000;

/** Hashes (unsigned 64-bit), in no particular order. */
export type HashList = BigUint64Array;

/** `hashes` as a `HashList`. */
export function hashList(hashes: readonly bigint[]): HashList {
  return BigUint64Array.from(hashes);
}

const LITTLE_ENDIAN = endianness() === 'LE';

/** Hashes as a BLOB of 8 bytes each, big-endian (the order they come in). */
export function packHashes(hashes: HashList): Buffer {
  const out = Buffer.from(hashes.slice().buffer);
  // Native order to big-endian in one native swap (a write per hash took a second on 3M).
  if (LITTLE_ENDIAN) out.swap64();
  return out;
}

/** The hashes `packHashes` stored, in their order. */
export function unpackHashes(blob: Uint8Array): HashList {
  const out = new BigUint64Array(Math.floor(blob.byteLength / 8));
  const bytes = Buffer.from(out.buffer);
  bytes.set(blob.subarray(0, out.length * 8));
  if (LITTLE_ENDIAN) bytes.swap64();
  return out;
}

/**
 * Whether `have` holds every hash of `want` as many times (multiset containment): both sorted as typed arrays (no
 * bigint per comparison), then one merge. Sorted here, not when recorded: most bands recorded are never compared.
 */
export function bandHoldsAll(haveAny: HashList, wantAny: HashList): boolean {
  if (wantAny.length > haveAny.length) return false;
  if (wantAny.length === 0) return true;
  const have = haveAny.slice().sort();
  const want = wantAny.slice().sort();
  let i = 0;
  for (let j = 0; j < want.length; j++) {
    const w = want[j];
    while (i < have.length && have[i] < w) i++;
    if (i === have.length || have[i] !== w) return false;
    i++;
  }
  return true;
}

/**
 * Rows of a query as `getRowObjectsJson` gives them, except lists of UBIGINT (hash lists): `HashList`s, copied
 * from the list's flat child vector, with no list value or string per hash (3M hashes as strings, then parsed, took
 * seconds; as list values, half a second).
 */
export async function queryHashRows(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const result = await conn.run(sql);
  const names = result.deduplicatedColumnNames();
  const types = result.columnTypes();
  const rows: Record<string, unknown>[] = [];
  for (const chunk of await result.fetchAllChunks()) {
    const first = rows.length;
    for (let r = 0; r < chunk.rowCount; r++) rows.push({});
    types.forEach((type, c) => {
      const vector = chunk.getColumnVector(c);
      const name = names[c];
      if (type.typeId === DuckDBTypeId.LIST && type.valueType.typeId === DuckDBTypeId.UBIGINT) {
        const list = vector as DuckDBListVector;
        const child = list.childVector;
        // The child's backing array when the binding exposes it (a copy per list, no bigint per hash); else by item.
        // A hash is never NULL (`hash(NULL)` is a number), so the child's validity needs no check.
        const flat = (child as unknown as { items?: unknown }).items;
        for (let r = 0; r < chunk.rowCount; r++) {
          if (list.getItemVector(r) === null) {
            rows[first + r][name] = null;
            continue;
          }
          const offset = list.getEntryOffset(r);
          const length = list.getEntryLength(r);
          let out: BigUint64Array;
          if (flat instanceof BigUint64Array) out = flat.slice(offset, offset + length);
          else {
            out = new BigUint64Array(length);
            for (let k = 0; k < length; k++) out[k] = child.getItem(offset + k) as bigint;
          }
          rows[first + r][name] = out;
        }
        return;
      }
      for (let r = 0; r < chunk.rowCount; r++) rows[first + r][name] = JsonDuckDBValueConverter(vector.getItem(r), type, JsonDuckDBValueConverter);
    });
  }
  return rows;
}
