/**
 * Time order of DuckDB's timestamp text against DuckDB's own ORDER BY of the
 * values, and the row pass's combined min/max against the ungrouped aggregate
 * when a column spans BC dates, years past 9999 and the infinities.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOfflineEngine } from '../offline/engine.js';
import { describeTable } from './profile.js';
import { aggregateSql } from './profile-sql.js';
import { rowPass } from './row-pass.js';
import { compareTimestampText, timestampTextMs } from './timestamp-text.js';

let conn: DuckDBConnection;
beforeAll(async () => {
  conn = await (await openOfflineEngine()).connect();
});
afterAll(() => conn.closeSync());

// DuckDB's TIMESTAMP range: 290309-12-22 (BC) to 294247-01-10.
const MIN_US = -9_223_372_022_400_000_000n;
const MAX_US = 9_223_372_036_854_775_806n;

describe('compareTimestampText', () => {
  it('orders DuckDB timestamp and date text as DuckDB orders the values', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.bigInt({ min: MIN_US, max: MAX_US }), fc.bigInt({ min: -1n << 40n, max: 1n << 40n })), { minLength: 2, maxLength: 40 }), fc.boolean(), async (micros, asDate) => {
        const values = micros.map((u) => `make_timestamp(${u.toString()}::BIGINT)${asDate ? '::DATE' : ''}`);
        const sql = `SELECT v::VARCHAR AS t FROM (VALUES ${[...values, "'infinity'::TIMESTAMP", "'-infinity'::TIMESTAMP"].map((v) => `(${v})`).join(', ')}) x(v) ORDER BY v`;
        const ordered = ((await conn.runAndReadAll(sql)).getRowsJS() as string[][]).map((r) => r[0]);
        const byText = [...ordered].reverse().sort(compareTimestampText);
        expect(byText).toEqual(ordered);
      }),
      { numRuns: 150 },
    );
  });

  it('gives the row pass the same min and max as the ungrouped aggregate across eras', async () => {
    await conn.run(`CREATE OR REPLACE TEMP TABLE eras AS
      SELECT 'k' || i AS k, TIMESTAMP '2024-03-01' + INTERVAL (i) DAY AS event_timestamp,
        [TIMESTAMP '2001-06-01 12:00:00', TIMESTAMP '0044-03-15 10:00:00' - INTERVAL 100 YEAR, TIMESTAMP '10000-01-01 00:00:00',
         TIMESTAMP '9999-12-31 23:59:59.999999', TIMESTAMP '0001-01-01 00:00:00'][i % 5 + 1] AS seen_at
      FROM range(10) r(i)`);
    const columns = await describeTable(conn, 'eras');
    const pass = await rowPass(conn, 'eras', { columns, byDay: true });
    const [agg] = (await conn.runAndReadAll(aggregateSql('eras', columns))).getRowObjectsJson() as Record<string, unknown>[];
    const i = columns.findIndex((c) => c.name === 'seen_at');
    expect(pass.aggregate[`c${i}_min`]).toBe(agg[`c${i}_min`]);
    expect(pass.aggregate[`c${i}_max`]).toBe(agg[`c${i}_max`]);
    expect(agg[`c${i}_min`]).toBe('0057-03-15 (BC) 10:00:00');
    expect(agg[`c${i}_max`]).toBe('10000-01-01 00:00:00');
  });
});

describe('timestampTextMs', () => {
  it("reads DuckDB's text of TIMESTAMP, TIMESTAMPTZ (with its offset) and DATE values as the millisecond DuckDB's epoch_us is in", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.bigInt({ min: -62_135_596_800_000_000n, max: 253_402_300_799_999_999n }), { minLength: 1, maxLength: 30 }), async (micros) => {
        const values = micros.map((u) => `make_timestamp(${u.toString()}::BIGINT)`);
        const sql = `SELECT v::VARCHAR AS a, v::TIMESTAMPTZ::VARCHAR AS b, v::DATE::VARCHAR AS c, epoch_us(v) AS us, epoch_us(v::DATE) AS dus FROM (VALUES ${values.map((v) => `(${v})`).join(', ')}) x(v)`;
        for (const r of (await conn.runAndReadAll(sql)).getRowObjectsJS() as { a: string; b: string; c: string; us: bigint; dus: bigint }[]) {
          const ms = (us: bigint) => Number(us / 1000n - (us % 1000n < 0n ? 1n : 0n)); // floor: the millisecond it is in
          expect(timestampTextMs(r.a), r.a).toBe(ms(r.us));
          expect(timestampTextMs(r.b), r.b).toBe(ms(r.us));
          expect(timestampTextMs(r.c), r.c).toBe(ms(r.dus));
        }
      }),
      { numRuns: 30 },
    );
    expect(timestampTextMs('2024-01-01 06:40:00+05:30')).toBe(Date.UTC(2024, 0, 1, 1, 10));
    expect([timestampTextMs('infinity'), timestampTextMs('-infinity'), timestampTextMs('0044-03-15 (BC)')]).toEqual([Infinity, -Infinity, NaN]);
  });
});
