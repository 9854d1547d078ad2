/**
 * The leakage, PII and class-imbalance checks on the real flights data: a
 * point-in-time (ASOF) join of airport statistics onto 100k flights, with a
 * leaked label column, a join that looks into the future, and planted PII.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classImbalanceCheck } from '../../src/guards/checks/class-imbalance.js';
import { leakageCheck } from '../../src/guards/checks/leakage.js';
import { piiCheck } from '../../src/guards/checks/pii.js';
import { literal } from '../../src/offline/engine.js';
import { ensureFlightsData } from '../helpers/flights.js';
import { checkContext, connection, tableName } from './check-context.js';

let conn: DuckDBConnection;
const T = tableName('fg_test_flights');

beforeAll(async () => {
  const dir = await ensureFlightsData({ shift: false });
  conn = await connection();
  const flights = literal(join(dir, 'flights.parquet'));
  const hourly = literal(join(dir, 'airport_hourly.parquet'));
  await conn.run(`CREATE TABLE ${T} AS
    WITH f AS (SELECT * FROM read_parquet(${flights}) WHERE flight_id % 30 = 0),
    pit AS (SELECT f.*, h.share_delayed, h.mean_delay, h.hour_end AS "__ah_event_ts", h.computed_at AS "__ah_created_ts"
            FROM f ASOF LEFT JOIN read_parquet(${hourly}) h ON f.origin = h.origin AND f.dep_time >= h.hour_end),
    fut AS (SELECT f.flight_id, h.hour_end AS "__future_event_ts"
            FROM f ASOF LEFT JOIN read_parquet(${hourly}) h ON f.origin = h.origin AND h.hour_end >= f.dep_time + INTERVAL 1 HOUR)
    SELECT pit.flight_id, pit.dep_time AS event_timestamp, pit.origin, pit.destination, pit.delayed,
           pit.delay_minutes, pit.distance, pit.share_delayed, pit.mean_delay, pit."__ah_event_ts", pit."__ah_created_ts",
           fut."__future_event_ts",
           CASE WHEN pit.flight_id = 90000 THEN 'card 4111 1111 1111 1111' ELSE pit.origin || '-' || pit.destination END AS route_note
    FROM pit JOIN fut USING (flight_id)`);
});
afterAll(async () => {
  await conn?.run(`DROP TABLE IF EXISTS ${T}`);
  conn?.closeSync();
});

describe('guards on the real flights data', () => {
  it('target leakage: delay_minutes leaks `delayed`; airport statistics and distance do not', async () => {
    const ctx = await checkContext({
      conn,
      table: T,
      features: [
        { column: 'delay_minutes', type: 'int64' },
        { column: 'distance', type: 'int64' },
        { column: 'share_delayed', type: 'float64' },
        { column: 'mean_delay', type: 'float64' },
        { column: 'destination', type: 'string' },
      ],
      dataset: {
        entityTimestampColumn: 'event_timestamp',
        joinKeyColumns: ['flight_id'],
        labelColumn: 'delayed',
        features: [],
        availability: 'event',
        viewTimestamps: [{ view: 'airport_hourly', eventTsColumn: '__ah_event_ts', createdTsColumn: '__ah_created_ts' }],
      },
    });
    const results = await leakageCheck(ctx);
    const t = new Map(results.filter((r) => r.method === 'target').map((r) => [r.feature, r]));
    expect(t.get('delay_minutes')).toMatchObject({ status: 'fail', value: 1 });
    for (const f of ['distance', 'share_delayed', 'mean_delay', 'destination']) expect(t.get(f)?.status, f).toBe('pass');
    expect(t.get('share_delayed')?.value).toBeGreaterThan(0.55); // informative, as a real feature should be
    // computed_at is 5 minutes after hour_end: some flights departed before the statistic was computed
    const temporal = results.find((r) => r.method === 'temporal');
    expect(temporal?.metrics?.future_event_rows).toBe(0);
    expect(temporal?.status).toBe('warn');
  });

  it('temporal leakage: a join that takes the next hour is caught', async () => {
    const ctx = await checkContext({
      conn,
      table: T,
      features: [],
      dataset: {
        entityTimestampColumn: 'event_timestamp',
        joinKeyColumns: ['flight_id'],
        features: [],
        availability: 'event',
        viewTimestamps: [{ view: 'airport_hourly_future', eventTsColumn: '__future_event_ts', createdTsColumn: null }],
      },
    });
    const r = (await leakageCheck(ctx)).find((x) => x.method === 'temporal');
    expect(r).toMatchObject({ status: 'fail', policy: 'block' });
    expect(Number(r?.value)).toBeGreaterThan(90_000);
  });

  it('class balance of `delayed` (about 1 in 5 delayed) and a planted card number', async () => {
    const ctx = await checkContext({ conn, table: T, joinKeys: ['flight_id'], features: [{ column: 'route_note', type: 'string' }, { column: 'origin', type: 'string' }], view: { name: 'flight_outcome', role: 'label' } });
    const labels = await checkContext({ conn, table: T, features: [{ column: 'delayed', type: 'bool' }], view: { name: 'flight_outcome', role: 'label' } });
    const [ci] = await classImbalanceCheck(labels);
    expect(ci.status).toBe('pass');
    expect(ci.metrics?.minority_share).toBeGreaterThan(0.15);
    expect(ci.metrics?.minority_share).toBeLessThan(0.25);
    const pii = new Map((await piiCheck(ctx)).map((r) => [r.feature, r]));
    // the planted value is one of 100,000 rows; the 10,000-row sample may miss it, so scan all rows here
    expect(pii.get('origin')?.status).toBe('pass');
    const full = await checkContext({ conn, table: T, joinKeys: ['flight_id'], features: [{ column: 'route_note', type: 'string' }], quality: { leakage: { pii_sample: 200_000 } } });
    expect((await piiCheck(full))[0]).toMatchObject({ status: 'fail', details: expect.objectContaining({ kinds: ['credit_card'] }) });
  });
});
