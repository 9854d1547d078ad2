/**
 * The flights example's prepared data, checked against the raw input with
 * independent computations: row counts, ids, labels, one airport-hour and one
 * route-day recomputed in TypeScript, window-end timestamps (point in time), and
 * the whole-hour shift.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFlightsParquet, prepareFlightsData, shiftHoursFor } from '../../examples/flights/prepare.js';
import { ensureFlightsData } from '../helpers/flights.js';

let conn: DuckDBConnection;
let data: string;
const tmp = mkdtempSync(join(tmpdir(), 'fg-prepare-'));
const raw = findFlightsParquet();

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

beforeAll(async () => {
  data = await ensureFlightsData({ shift: false });
  conn = await (await DuckDBInstance.create(':memory:')).connect();
  await conn.run("SET TimeZone = 'UTC'");
});
afterAll(() => {
  conn?.closeSync();
  rmSync(tmp, { recursive: true, force: true });
});

/** quantile_cont: linear interpolation between closest ranks. */
function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
}

describe('prepared flights data (unshifted)', () => {
  it('has one row per flight of Jan-Jun 2001 with ids 1..n and delayed = delay > 15', async () => {
    const [f] = await rows(`
      SELECT count(*)::INTEGER n, min(flight_id)::INTEGER lo, max(flight_id)::INTEGER hi, count(DISTINCT flight_id)::INTEGER d,
             count(*) FILTER (WHERE delayed <> (delay_minutes > 15))::INTEGER bad_label,
             count(*) FILTER (WHERE dep_time <> original_ts)::INTEGER shifted,
             min(dep_time)::VARCHAR first_ts, max(dep_time)::VARCHAR last_ts
      FROM '${data}/flights.parquet'`);
    const [r] = await rows(`SELECT count(*)::INTEGER n FROM '${raw}' WHERE date < TIMESTAMP '2001-07-01'`);
    expect(f).toEqual({ n: r?.n, lo: 1, hi: r?.n, d: r?.n, bad_label: 0, shifted: 0, first_ts: '2001-01-01 00:01:00', last_ts: f?.last_ts });
    expect(String(f?.last_ts) < '2001-07-01').toBe(true);
    const [t] = await rows(`SELECT count(*)::INTEGER n FROM '${data}/training_entities.parquet' t JOIN '${data}/flights.parquet' f USING (flight_id)
      WHERE t.event_timestamp = f.dep_time AND t.origin = f.origin AND t.destination = f.destination`);
    expect(t?.n).toBe(r?.n);
  });

  it('airport_hourly: one airport-hour recomputed from the raw flights, stamped at the end of its hour', async () => {
    const flights = await rows(`SELECT delay::DOUBLE delay, distance::DOUBLE distance, date::VARCHAR date FROM '${raw}'
      WHERE origin = 'ATL' AND date >= TIMESTAMP '2001-03-15 10:00:00' AND date < TIMESTAMP '2001-03-15 11:00:00'`);
    const delays = flights.map((f) => f.delay as number);
    expect(delays.length).toBeGreaterThan(10);
    const [h] = await rows(`SELECT hour_end::VARCHAR hour_end, computed_at::VARCHAR computed_at, departures::INTEGER departures,
        mean_delay, p90_delay, share_delayed, mean_distance
      FROM '${data}/airport_hourly.parquet' WHERE origin = 'ATL' AND hour_end = TIMESTAMP '2001-03-15 11:00:00'`);
    expect(h?.hour_end).toBe('2001-03-15 11:00:00');
    expect(h?.computed_at).toBe('2001-03-15 11:05:00');
    expect(h?.departures).toBe(delays.length);
    expect(h?.mean_delay).toBeCloseTo(delays.reduce((a, b) => a + b, 0) / delays.length, 9);
    expect(h?.p90_delay).toBeCloseTo(quantile(delays, 0.9), 9);
    expect(h?.share_delayed).toBeCloseTo(delays.filter((d) => d > 15).length / delays.length, 12);
    expect(h?.mean_distance).toBeCloseTo(flights.reduce((a, f) => a + (f.distance as number), 0) / flights.length, 9);
    // No row is stamped before a flight it summarizes departed (it would leak into that flight's training row).
    const [leak] = await rows(`SELECT count(*)::INTEGER n FROM '${data}/flights.parquet' f JOIN '${data}/airport_hourly.parquet' h
      ON f.origin = h.origin AND date_trunc('hour', f.dep_time) + INTERVAL 1 HOUR = h.hour_end WHERE f.dep_time >= h.hour_end`);
    expect(leak?.n).toBe(0);
    const [shape] = await rows(`SELECT count(*)::INTEGER n, count(*) FILTER (WHERE hour_end <> date_trunc('hour', hour_end))::INTEGER off_hour,
        sum(departures)::INTEGER deps, min(share_delayed) lo, max(share_delayed) hi FROM '${data}/airport_hourly.parquet'`);
    expect(shape?.off_hour).toBe(0);
    expect(shape?.deps).toBe(2_999_994);
    expect(shape?.lo).toBeGreaterThanOrEqual(0);
    expect(shape?.hi).toBeLessThanOrEqual(1);
  });

  it('route_daily: one route-day recomputed, stamped at the end of its day', async () => {
    const flights = await rows(`SELECT delay::DOUBLE delay FROM '${raw}'
      WHERE origin = 'SEA' AND destination = 'SFO' AND date >= TIMESTAMP '2001-05-02' AND date < TIMESTAMP '2001-05-03'`);
    const delays = flights.map((f) => f.delay as number);
    const [d] = await rows(`SELECT day_end::VARCHAR day_end, computed_at::VARCHAR computed_at, route_departures::INTEGER n,
        route_mean_delay, route_p90_delay, route_share_delayed
      FROM '${data}/route_daily.parquet' WHERE origin = 'SEA' AND destination = 'SFO' AND day_end = TIMESTAMP '2001-05-03'`);
    expect(d).toMatchObject({ day_end: '2001-05-03 00:00:00', computed_at: '2001-05-03 00:15:00', n: delays.length });
    expect(d?.route_mean_delay).toBeCloseTo(delays.reduce((a, b) => a + b, 0) / delays.length, 9);
    expect(d?.route_p90_delay).toBeCloseTo(quantile(delays, 0.9), 9);
    expect(d?.route_share_delayed).toBeCloseTo(delays.filter((x) => x > 15).length / delays.length, 12);
  });
});

describe('prepare with the shift', () => {
  it('moves every timestamp by whole hours so the data ends at the last completed hour, keeps the originals, and skips when up to date', async () => {
    const now = new Date('2026-11-25T18:30:00Z');
    const hours = shiftHoursFor(now);
    // Independent of shiftHoursFor: from 2001-07-01 00:15 to 2026-11-25 18:15 (the last quarter past an hour before now).
    expect(hours).toBe((Date.UTC(2026, 10, 25, 18, 15) - Date.UTC(2001, 6, 1, 0, 15)) / 3_600_000);
    const out = join(tmp, 'shifted');
    // The last week of the input is enough to check the shift, and quick.
    const input = join(tmp, 'last-week.parquet');
    await conn.run(`COPY (SELECT * FROM '${raw}' WHERE date >= TIMESTAMP '2001-06-24') TO '${input}' (FORMAT parquet)`);
    const r = await prepareFlightsData({ shift: true, now, outDir: out, input });
    expect(r).toMatchObject({ shift: true, shiftHours: hours, skipped: false });
    const marker = JSON.parse(readFileSync(join(out, 'prepare.json'), 'utf8'));
    expect(marker).toMatchObject({ shift_hours: hours, shift_ms: hours * 3_600_000 });
    const [s] = await rows(`SELECT max(computed_at)::VARCHAR last_known, max(day_end)::VARCHAR last_day,
        count(*) FILTER (WHERE day_end <> original_ts + INTERVAL (${hours}) HOUR)::INTEGER bad
      FROM '${out}/route_daily.parquet'`);
    expect(s).toEqual({ last_known: '2026-11-25 18:15:00', last_day: '2026-11-25 18:00:00', bad: 0 });
    const [h] = await rows(`SELECT max(hour_end)::VARCHAR last_hour, max(computed_at)::VARCHAR last_computed,
        count(*) FILTER (WHERE hour_end <> date_trunc('hour', hour_end))::INTEGER off_hour FROM '${out}/airport_hourly.parquet'`);
    // The newest hourly row covers 17:00-18:00 and is 30 minutes old at 'now': within the view's 6h ttl.
    expect(h).toEqual({ last_hour: '2026-11-25 18:00:00', last_computed: '2026-11-25 18:05:00', off_hour: 0 });
    const [f] = await rows(`SELECT count(*) FILTER (WHERE dep_time <> original_ts + INTERVAL (${hours}) HOUR)::INTEGER bad,
        max(dep_time)::VARCHAR last_ts FROM '${out}/flights.parquet'`);
    expect(f?.bad).toBe(0);
    expect(String(f?.last_ts).startsWith('2026-11-25 17:')).toBe(true);
    expect((await prepareFlightsData({ shift: true, now, outDir: out, input })).skipped).toBe(true);
  });
});
