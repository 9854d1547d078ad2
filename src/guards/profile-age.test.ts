import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { openOfflineEngine } from '../offline/engine.js';
import { profileSlices, profileTable } from './profile.js';
import { ageOptions } from './profile-age.js';
import { rowPass } from './row-pass.js';

let conn: DuckDBConnection;
beforeAll(async () => {
  conn = await (await openOfflineEngine()).connect();
  // 3000 rows: an event time every 7 minutes; a TIMESTAMP feature (with milliseconds), a TIMESTAMPTZ one and a DATE
  // one behind or ahead of it; NULL event times and values now and then; an airport to slice by.
  await conn.run(`CREATE OR REPLACE TEMP TABLE age_t AS SELECT
      ['SEA','JFK','LAX'][1 + (i % 3)] AS airport,
      CASE WHEN i % 101 = 3 THEN NULL ELSE TIMESTAMP '2024-01-01' + INTERVAL (7 * i) MINUTE END AS event_timestamp,
      CASE WHEN i % 53 = 1 THEN NULL ELSE TIMESTAMP '2024-01-01' + INTERVAL (7 * i) MINUTE - INTERVAL ((hash(i) % 90000) * 37) MILLISECOND END AS seen_at,
      (TIMESTAMP '2024-01-01' + INTERVAL (7 * i) MINUTE + INTERVAL (i % 500 - 100) SECOND)::TIMESTAMPTZ AS due_at,
      DATE '2023-12-01' + (i % 40)::INT AS opened_on,
      i AS n
    FROM range(3000) r(i)`);
});
afterAll(() => conn.closeSync());

/** DuckDB's text of a TIMESTAMP, TIMESTAMPTZ (session time zone UTC) or DATE, as epoch milliseconds. */
function textMs(t: string): number {
  if (/^\d{4}-\d\d-\d\d$/.test(t)) return Date.parse(`${t}T00:00:00Z`);
  return Date.parse(`${t.replace(' ', 'T').replace(/\+00$/, '')}Z`);
}

/** The ages (seconds) of `column` in TypeScript: event time − value for the rows that have both, from their text. */
async function naiveAges(column: string, where = 'true'): Promise<number[]> {
  const r = await conn.runAndReadAll(`SELECT event_timestamp::VARCHAR AS e, ${column}::VARCHAR AS v FROM age_t WHERE ${where}`);
  return (r.getRowObjectsJS() as { e: string | null; v: string | null }[]).filter((x) => x.e !== null && x.v !== null).map((x) => (textMs(x.e!) - textMs(x.v!)) / 1000);
}

/** numpy's default (linear) quantile of sorted values. */
function quantile(sorted: readonly number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  return sorted[lo] + (h - lo) * ((sorted[lo + 1] ?? sorted[lo]) - sorted[lo]);
}

const AGE = { eventTimestamp: 'event_timestamp', columns: ['seen_at', 'due_at', 'opened_on', 'n'] };

describe('age profiles of timestamp features', () => {
  it('profile event time − value in seconds for TIMESTAMP, TIMESTAMPTZ and DATE features, as a TypeScript computation on the same rows says', async () => {
    const p = await profileTable(conn, 'age_t', { age: AGE });
    for (const column of ['seen_at', 'due_at', 'opened_on']) {
      const ages = (await naiveAges(column)).sort((a, b) => a - b);
      const age = p.get(column)!.age!;
      expect(p.get(column)!.kind, column).toBe('timestamp');
      expect(age, column).toMatchObject({ column, kind: 'numeric', type: 'DOUBLE', count: 3000, nulls: 3000 - ages.length, sampled: false, min: ages[0], max: ages[ages.length - 1] });
      // The table fits the sample: it holds every age.
      expect([...(age.sample as number[])].sort((a, b) => a - b), column).toEqual(ages);
      const mean = ages.reduce((a, b) => a + b, 0) / ages.length;
      expect(age.mean! / mean, column).toBeCloseTo(1, 12);
      expect(age.stddev! / Math.sqrt(ages.reduce((a, b) => a + (b - mean) ** 2, 0) / ages.length), column).toBeCloseTo(1, 9);
      for (const [k, q] of [['p1', 0.01], ['p25', 0.25], ['p50', 0.5], ['p99', 0.99]] as const) expect(age.quantiles![k], `${column} ${k}`).toBeCloseTo(quantile(ages, q), 6);
    }
    // Negative ages (values after the event time) are kept as they are.
    expect(p.get('due_at')!.age!.min).toBe(-399);
    // Only timestamp columns get an age, and the event time none of its own.
    expect([p.get('n')!.age, p.get('event_timestamp')!.age, p.get('airport')!.age]).toEqual([undefined, undefined, undefined]);
  });

  it('estimates the ages from the sample on a table larger than it, with the aggregates exact', async () => {
    const p = await profileTable(conn, 'age_t', { age: AGE, sampleSize: 500 });
    const ages = (await naiveAges('seen_at')).sort((a, b) => a - b);
    const age = p.get('seen_at')!.age!;
    expect(age).toMatchObject({ sampled: true, min: ages[0], max: ages[ages.length - 1] });
    expect(age.sample.length).toBeGreaterThan(450);
    expect(age.sample.length).toBeLessThanOrEqual(500);
    const all = new Set(ages);
    expect(age.sample.every((v) => all.has(v as number))).toBe(true);
    const spread = ages[ages.length - 1] - ages[0];
    expect(Math.abs(age.quantiles!.p50 - quantile(ages, 0.5))).toBeLessThan(0.05 * spread);
  });

  it('profiles ages with the aggregate of the stage row pass given, and per slice', async () => {
    const columns = [{ name: 'event_timestamp', type: 'TIMESTAMP' }, { name: 'seen_at', type: 'TIMESTAMP' }, { name: 'airport', type: 'VARCHAR' }];
    const pass = await rowPass(conn, 'age_t', { columns, byDay: true });
    const p = await profileTable(conn, 'age_t', { columns, aggregate: pass.aggregate, age: AGE });
    const ages = await naiveAges('seen_at');
    expect(p.get('seen_at')!.age).toMatchObject({ count: 3000, nulls: 3000 - ages.length });
    const bySlice = await profileSlices(conn, 'age_t', 'airport', { columns: [{ name: 'seen_at', type: 'TIMESTAMP' }], age: AGE });
    for (const airport of ['SEA', 'JFK', 'LAX']) {
      const sliceAges = (await naiveAges('seen_at', `airport = '${airport}'`)).sort((a, b) => a - b);
      const age = bySlice.get(airport)!.get('seen_at')!.age!;
      expect(age, airport).toMatchObject({ count: 1000, nulls: 1000 - sliceAges.length, min: sliceAges[0], max: sliceAges[sliceAges.length - 1] });
      expect(age.mean! / (sliceAges.reduce((a, b) => a + b, 0) / sliceAges.length)).toBeCloseTo(1, 12);
    }
  });

  it('ages the timestamp features of a table only when its event time is a timestamp', () => {
    const columns = [{ name: 'event_timestamp', type: 'TIMESTAMP WITH TIME ZONE' }, { name: 'a', type: 'TIMESTAMP' }, { name: 'b', type: 'DATE' }, { name: 'c', type: 'DOUBLE' }, { name: 'd', type: 'TIMESTAMP' }];
    expect(ageOptions(columns, 'event_timestamp', ['a', 'b', 'c'])).toEqual({ eventTimestamp: 'event_timestamp', columns: ['a', 'b'] });
    expect(ageOptions(columns, null, ['a'])).toBeUndefined();
    expect(ageOptions([{ name: 'event_timestamp', type: 'VARCHAR' }, ...columns.slice(1)], 'event_timestamp', ['a'])).toBeUndefined();
    expect(ageOptions(columns, 'event_timestamp', ['c'])).toBeUndefined();
  });
});
