import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bandHoldsAll, hashList, packHashes, unpackHashes } from './tamper-band.js';

const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

describe('band hashes', () => {
  it('are stored 8 bytes each and read back as they were (unsigned 64-bit)', () => {
    fc.assert(fc.property(fc.array(u64, { maxLength: 50 }), (hashes) => {
      const blob = packHashes(hashList(hashes));
      expect(blob.length).toBe(hashes.length * 8);
      // Big-endian, as 46b92b3 wrote them (a native swap, not a write per hash).
      hashes.forEach((h, i) => expect(blob.readBigUInt64BE(i * 8)).toBe(h));
      expect([...unpackHashes(blob)]).toEqual(hashes);
      // As SQLite may hand a BLOB back: a view into a larger buffer, at an offset not a multiple of 8.
      expect([...unpackHashes(Buffer.concat([Buffer.from([1, 2, 3]), blob]).subarray(3))]).toEqual(hashes);
    }));
  });

  it('are all held when each is there at least as many times (a multiset), in any order', () => {
    // Few distinct values, so that repeats and misses are common. Reference: remove each wanted hash from a copy.
    const small = fc.array(fc.constantFrom(0n, 1n, 2n ** 63n, 2n ** 64n - 1n), { maxLength: 8 });
    fc.assert(fc.property(small, small, (have, want) => {
      const pool = [...have];
      const reference = want.every((h) => {
        const i = pool.indexOf(h);
        if (i < 0) return false;
        pool.splice(i, 1);
        return true;
      });
      expect(bandHoldsAll(hashList(have), hashList(want))).toBe(reference);
    }), { numRuns: 500 });
    expect(bandHoldsAll(hashList([7n, 5n, 3n]), hashList([3n, 7n]))).toBe(true); // 5 landed late
    expect(bandHoldsAll(hashList([3n, 5n]), hashList([3n, 7n]))).toBe(false); // 7 edited or deleted
    expect(bandHoldsAll(hashList([3n, 5n, 6n]), hashList([3n, 3n]))).toBe(false); // one of two equal rows gone, two landed
    // Unsigned order: 2^63 and above sort after smaller hashes, whichever order they come in.
    expect(bandHoldsAll(hashList([2n ** 64n - 1n, 1n, 2n ** 63n]), hashList([2n ** 63n, 2n ** 64n - 1n]))).toBe(true);
  });
});
