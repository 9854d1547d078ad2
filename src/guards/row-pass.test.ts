/**
 * The row pass against independent computations on the same DuckDB table: the
 * ungrouped aggregate pass and a plain per-day GROUP BY for the checksums.
 * (Duplicate keys are counted apart: checks/duplicate-keys.test.ts.)
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOfflineEngine } from '../offline/engine.js';
import { describeTable } from './profile.js';
import { aggregateSql } from './profile-sql.js';
import { rowPass } from './row-pass.js';

let conn: DuckDBConnection;
beforeAll(async () => {
  conn = await (await openOfflineEngine()).connect();
  // 5 days of rows with nulls, NaN/Inf, a nullable timestamp, large magnitudes and planted duplicate (k, ts) rows.
  await conn.run(`CREATE OR REPLACE TEMP TABLE rp AS
    SELECT 'k' || (i % 37) AS k, TIMESTAMP '2024-03-01' + INTERVAL (i * 97) SECOND AS event_timestamp,
      CASE WHEN i % 5 = 0 THEN NULL ELSE TIMESTAMP '2024-03-01' + INTERVAL (i * 97 - 30) SECOND END AS created_timestamp,
      CASE WHEN i % 11 = 0 THEN NULL WHEN i % 173 = 0 THEN 'nan'::DOUBLE WHEN i % 191 = 0 THEN 'inf'::DOUBLE ELSE 1e9 + (i % 101) * 0.25 END AS x,
      (i % 13)::INTEGER AS n, CASE WHEN i % 7 = 0 THEN NULL ELSE 'v' || (i % 4) END AS s
    FROM range(4400) r(i)
    UNION ALL SELECT 'k' || (i % 37), TIMESTAMP '2024-03-01' + INTERVAL (i * 97) SECOND, NULL, 1.5, 3, 'dup' FROM range(0, 4400, 200) r(i)`);
});
afterAll(() => conn.closeSync());

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

describe('row pass', () => {
  it('gives the aggregate row of the ungrouped pass, the per-day checksums of a plain GROUP BY and the counts', async () => {
    const columns = await describeTable(conn, 'rp');
    const cols = ['k', 'event_timestamp', 'created_timestamp', 'x', 'n', 's'];
    const pass = await rowPass(conn, 'rp', {
      columns, byDay: true, checksumColumns: cols, counts: { big: 'n > 10', early: 'created_timestamp < event_timestamp' },
    });
    const [agg] = await rows(aggregateSql('rp', columns));
    for (const [key, value] of Object.entries(agg)) {
      if (typeof value === 'number' || (typeof value === 'string' && /^-?[\d.e+]+$/.test(value))) expect(Number(pass.aggregate[key]), key).toBeCloseTo(Number(value), 6);
      else expect(pass.aggregate[key], key).toEqual(value);
    }
    const days = await rows(`SELECT epoch_ms(date_trunc('day', event_timestamp)) AS d, count(*) AS n, sum(hash(${cols.join(', ')}))::VARCHAR AS s FROM rp GROUP BY 1 ORDER BY 1`);
    expect([...pass.days!].sort((a, b) => a.day - b.day)).toEqual(days.map((d) => ({ day: Number(d.d), rows: Number(d.n), checksum: String(d.s) })));
    expect(pass.fingerprint).toEqual({ rows: 4422, checksum: days.reduce((a, d) => a + BigInt(String(d.s)), 0n).toString() });
    const [c] = await rows('SELECT count(*) FILTER (WHERE n > 10) AS big, count(*) FILTER (WHERE created_timestamp < event_timestamp) AS early FROM rp');
    expect(pass.totals).toEqual({ big: Number(c.big), early: Number(c.early) });
  });

  it('without days: one aggregate row, the fingerprint of all rows and the counts (a dataset)', async () => {
    const columns = await describeTable(conn, 'rp');
    const cols = columns.map((c) => c.name);
    const pass = await rowPass(conn, 'rp', { columns, byDay: false, checksumColumns: cols, counts: { big: 'n > 10' } });
    const [agg] = await rows(aggregateSql('rp', columns));
    expect(pass.aggregate.n).toBe(Number(agg.n));
    const [f] = await rows(`SELECT count(*) AS n, sum(hash(${cols.join(', ')}))::VARCHAR AS s, count(*) FILTER (WHERE n > 10) AS big FROM rp`);
    expect(pass.days).toBeNull();
    expect(pass.fingerprint).toEqual({ rows: 4422, checksum: String(f.s) });
    expect(pass.totals).toEqual({ big: Number(f.big) });
  });

  it('with settledBy: per day the rows created by then (or without a created time), and the hashes of the others up to a limit', async () => {
    const columns = await describeTable(conn, 'rp');
    const cols = ['k', 'event_timestamp', 'created_timestamp', 'x', 'n', 's'];
    // Mid-way through the third day: the days before have no rows created after it, the third some, the rest all.
    const at = new Date('2024-03-03T12:00:00Z');
    const ref = await rows(`SELECT epoch_ms(date_trunc('day', event_timestamp)) AS d, count(*) FILTER (WHERE created_timestamp IS NULL OR created_timestamp <= TIMESTAMP '2024-03-03 12:00:00') AS sn,
      sum(hash(${cols.join(', ')})) FILTER (WHERE created_timestamp IS NULL OR created_timestamp <= TIMESTAMP '2024-03-03 12:00:00')::VARCHAR AS ss FROM rp GROUP BY 1 ORDER BY 1`);
    // The rows created after it, hashed one by one (not aggregated): a multiset per day, sorted here.
    const late = await rows(`SELECT epoch_ms(date_trunc('day', event_timestamp)) AS d, hash(${cols.join(', ')})::VARCHAR AS h FROM rp WHERE created_timestamp > TIMESTAMP '2024-03-03 12:00:00'`);
    const lateByDay = new Map<number, bigint[]>();
    for (const r of late) lateByDay.set(Number(r.d), [...(lateByDay.get(Number(r.d)) ?? []), BigInt(String(r.h))]);
    const sorted = (l: bigint[]) => [...l].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const counts = [...lateByDay.values()].map((l) => l.length).sort((a, b) => a - b);
    expect(counts.length).toBeGreaterThan(1); // a day partly, days wholly after it
    const limit = counts[0]; // the smallest day's band fits, the others do not
    const pass = await rowPass(conn, 'rp', { columns, byDay: true, checksumColumns: cols, settledBy: { column: 'created_timestamp', at, unsettledHashesMax: limit } });
    const byDay = [...pass.days!].sort((a, b) => a.day - b.day);
    expect(byDay.map((d) => ({ d: d.day, sn: d.settled!.rows, ss: d.settled!.checksum }))).toEqual(ref.map((r) => ({ d: Number(r.d), sn: Number(r.sn), ss: String(r.ss ?? 0) })));
    for (const d of byDay) {
      const want = lateByDay.get(d.day) ?? [];
      const got = d.settled!.unsettledHashes;
      expect(got === null || got === undefined ? got : sorted([...got]), String(d.day)).toEqual(want.length > limit ? null : sorted(want));
    }
    expect(byDay.filter((d) => d.settled!.unsettledHashes === null).length).toBeGreaterThan(0);
    expect(byDay.filter((d) => (d.settled!.unsettledHashes?.length ?? 0) > 0).length).toBeGreaterThan(0);
    // Without a limit: no hashes asked, none given.
    const plain = await rowPass(conn, 'rp', { columns, byDay: true, checksumColumns: cols, settledBy: { column: 'created_timestamp', at } });
    expect(plain.days!.every((d) => d.settled!.unsettledHashes === undefined)).toBe(true);
  });

  it('without days: one group, no checksums', async () => {
    const columns = await describeTable(conn, 'rp');
    const pass = await rowPass(conn, 'rp', { columns, byDay: false, counts: { big: 'n > 10' } });
    expect(pass.days).toBeNull();
    expect(pass.fingerprint).toBeNull();
    expect(pass.aggregate.n).toBe(4422);
  });
});
