/**
 * `hashOrderedSample` returns exactly the rows of the plain `ORDER BY hash, … LIMIT`
 * query over all rows: with hash ties (repeated keys and times), NULL labels
 * skipped by the condition, and a row estimate too high for the pre-filter to
 * find enough rows (the full sort then runs).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOfflineEngine } from '../../offline/engine.js';
import { hashOrderedSample } from './target-leakage.js';

let conn: DuckDBConnection;
beforeAll(async () => {
  conn = await (await openOfflineEngine()).connect();
  // 200,000 rows; every (k, ts) occurs 4 times (ties on the hash), a third of the labels are NULL.
  await conn.run(`CREATE OR REPLACE TEMP TABLE hos AS
    SELECT 'k' || (i % 5000) AS k, TIMESTAMP '2024-01-01' + INTERVAL ((i // 4) % 10) HOUR AS ts,
      CASE WHEN i % 3 = 0 THEN NULL ELSE (i % 7)::DOUBLE END AS label, (hash(i) % 1000)::DOUBLE AS f
    FROM range(200000) r(i)`);
});
afterAll(() => conn.closeSync());

const q = { select: 'SELECT label, f FROM hos', where: 'label IS NOT NULL', hash: 'hash(k, ts)', tieBreak: '1, 2' };

async function naive(size: number): Promise<unknown[][]> {
  return (await conn.runAndReadAll(`${q.select} WHERE ${q.where} ORDER BY ${q.hash}, ${q.tieBreak} LIMIT ${size}`)).getColumnsJS();
}

describe('hashOrderedSample', () => {
  it('gives the rows of the full sort, pre-filtered or not', async () => {
    for (const size of [1, 37, 1000, 20000]) {
      const expected = await naive(size);
      expect(expected[0]).toHaveLength(size);
      // Row estimate right (pre-filtered), far too high (pre-filter finds too few: full sort), and small (full sort).
      for (const rows of [133334, 200_000_000, size]) {
        expect(await hashOrderedSample(conn, { ...q, size, rows }), `size ${size}, rows ${rows}`).toEqual(expected);
      }
    }
  });
});
