/**
 * End to end on the real flights data (first three days of January 2001, to
 * keep the suite fast; the benchmark does all 3M flights): service delay_model
 * with its label, written as Parquet and Arrow, read back and compared with an
 * independently written DuckDB query (window-function dedup + plain ASOF join).
 */
import { tableFromIPC } from 'apache-arrow';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDefinitions } from '../../src/definitions/loader.js';
import { openOfflineEngine } from '../../src/offline/engine.js';
import { getHistoricalFeatures } from '../../src/offline/historical.js';
import { readManifest } from '../../src/offline/manifest.js';
import { openProject, type Project } from '../../src/project.js';
import { copyFlightsProject } from '../helpers/flights.js';

let dir: string;
let project: Project;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fg-flights-ds-'));
  await copyFlightsProject(dir, { data: 'link' });
  project = openProject(dir);
  project.registry.apply(loadDefinitions(project.root, project.config));
});
afterAll(async () => {
  await project?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const entitiesSql = () => `SELECT * FROM read_parquet('${join(dir, 'data', 'training_entities.parquet')}') WHERE event_timestamp < TIMESTAMP '2001-01-04'`;

/** The same dataset, written the textbook way (no shared code with the builder). */
const referenceSql = () => `
  WITH e AS (SELECT row_number() OVER () AS rn, * FROM (${entitiesSql()})),
  ah AS (SELECT * FROM read_parquet('${join(dir, 'data', 'airport_hourly.parquet')}')
         QUALIFY row_number() OVER (PARTITION BY origin, hour_end ORDER BY computed_at DESC) = 1),
  rd AS (SELECT * FROM read_parquet('${join(dir, 'data', 'route_daily.parquet')}')
         QUALIFY row_number() OVER (PARTITION BY origin, destination, day_end ORDER BY computed_at DESC) = 1),
  fl AS (SELECT * FROM read_parquet('${join(dir, 'data', 'flights.parquet')}'))
  SELECT e.flight_id, e.origin, e.destination, e.event_timestamp,
    CASE WHEN ah.hour_end >= e.event_timestamp - INTERVAL 6 HOUR THEN ah.departures END AS departures,
    CASE WHEN ah.hour_end >= e.event_timestamp - INTERVAL 6 HOUR THEN ah.mean_delay END AS mean_delay,
    CASE WHEN ah.hour_end >= e.event_timestamp - INTERVAL 6 HOUR THEN ah.p90_delay END AS p90_delay,
    CASE WHEN ah.hour_end >= e.event_timestamp - INTERVAL 6 HOUR THEN ah.share_delayed END AS share_delayed,
    CASE WHEN ah.hour_end >= e.event_timestamp - INTERVAL 6 HOUR THEN ah.mean_distance END AS mean_distance,
    CASE WHEN rd.day_end >= e.event_timestamp - INTERVAL 2 DAY THEN rd.route_departures END AS route_departures,
    CASE WHEN rd.day_end >= e.event_timestamp - INTERVAL 2 DAY THEN rd.route_mean_delay END AS route_mean_delay,
    CASE WHEN rd.day_end >= e.event_timestamp - INTERVAL 2 DAY THEN rd.route_p90_delay END AS route_p90_delay,
    CASE WHEN rd.day_end >= e.event_timestamp - INTERVAL 2 DAY THEN rd.route_share_delayed END AS route_share_delayed,
    CASE WHEN rd.day_end >= e.event_timestamp - INTERVAL 2 DAY THEN rd.route_distance END AS route_distance,
    fl.delayed
  FROM e
  ASOF LEFT JOIN ah ON e.origin = ah.origin AND e.event_timestamp >= ah.hour_end
  ASOF LEFT JOIN rd ON e.origin = rd.origin AND e.destination = rd.destination AND e.event_timestamp >= rd.day_end
  LEFT JOIN fl ON fl.flight_id = e.flight_id AND fl.dep_time <= e.event_timestamp
  ORDER BY e.rn`;

describe('dataset build on the flights data', () => {
  it('builds delay_model with its label in Parquet and Arrow, equal to a hand-written query', async () => {
    const parquet = join(dir, 'out', 'train.parquet');
    const arrow = join(dir, 'out', 'train.arrow');
    const a = await getHistoricalFeatures(project, { entities: { kind: 'sql', sql: entitiesSql() }, service: 'delay_model', out: parquet });
    const b = await getHistoricalFeatures(project, { entities: { kind: 'sql', sql: entitiesSql() }, service: 'delay_model', out: arrow });
    expect(a.status).not.toBe('blocked');
    expect(b.status).not.toBe('blocked');

    const engine = await openOfflineEngine();
    const n = Number((await engine.all(`SELECT count(*) AS n FROM (${entitiesSql()})`))[0].n);
    expect(n).toBeGreaterThan(20_000);
    expect(a.outputs[0].rows).toBe(n);

    const conn = await engine.connect();
    try {
      await conn.run(`CREATE OR REPLACE TEMP TABLE ref AS ${referenceSql()}`);
      await conn.run(`CREATE OR REPLACE TEMP TABLE got AS SELECT row_number() OVER () AS rn, * FROM read_parquet('${parquet}')`);
      const cols = 'flight_id, origin, destination, event_timestamp, departures, mean_delay, p90_delay, share_delayed, mean_distance, route_departures, route_mean_delay, route_p90_delay, route_share_delayed, route_distance, delayed';
      const got = (await conn.runAndReadAll('DESCRIBE got')).getRowObjectsJS().map((r) => r.column_name);
      expect(got).toEqual(['rn', ...cols.split(', ')]);
      // Same multiset of rows, and the same order (flight_id order, the entity file's order).
      const diff = await conn.runAndReadAll(`SELECT count(*) FROM ((SELECT ${cols} FROM ref EXCEPT ALL SELECT ${cols} FROM got) UNION ALL (SELECT ${cols} FROM got EXCEPT ALL SELECT ${cols} FROM ref))`);
      expect(Number(diff.getRowsJS()[0][0])).toBe(0);
      const order = await conn.runAndReadAll('SELECT count(*) FROM got JOIN (SELECT row_number() OVER () AS rn, flight_id FROM ref) r USING (rn) WHERE got.flight_id <> r.flight_id');
      expect(Number(order.getRowsJS()[0][0])).toBe(0);
      // Features are mostly present (the join works) but not always (ttl, first hours).
      const nulls = (await conn.runAndReadAll('SELECT count(*) FILTER (WHERE mean_delay IS NULL), count(*) FILTER (WHERE delayed IS NULL) FROM got')).getRowsJS()[0];
      expect(Number(nulls[0])).toBeGreaterThan(0);
      expect(Number(nulls[0])).toBeLessThan(n / 5);
      expect(Number(nulls[1])).toBe(0);

      // The Arrow file has the same rows as the Parquet file.
      const t = tableFromIPC(readFileSync(arrow));
      expect(t.numRows).toBe(n);
      expect(t.schema.fields.map((f) => f.name)).toEqual(cols.split(', '));
      const sample = (await conn.runAndReadAll('SELECT flight_id, mean_delay, route_departures, delayed, epoch_us(event_timestamp) FROM got WHERE rn % 997 = 1 ORDER BY rn')).getRowsJS();
      for (const [flightId, meanDelay, routeDepartures, delayed, us] of sample) {
        const i = Number((await conn.runAndReadAll(`SELECT rn - 1 FROM got WHERE flight_id = ${flightId}`)).getRowsJS()[0][0]);
        const row = t.get(i)!;
        expect(row.flight_id).toBe(flightId);
        expect(row.mean_delay).toBe(meanDelay);
        expect(row.route_departures).toBe(routeDepartures);
        expect(row.delayed).toBe(delayed);
        expect(row.event_timestamp).toBe(Number(us as bigint) / 1000);
      }
    } finally {
      conn.closeSync();
    }

    const m = readManifest(`${parquet}.manifest.json`);
    expect(m.label).toBe('delayed');
    expect(m.rows).toBe(n);
    expect(m.entities.uri).toMatch(/^sql:/);
    expect(m.sources.map((s) => s.name).sort()).toEqual(['airport_hourly_source', 'flights_source', 'route_daily_source']);
    expect(m.time_range).toEqual({ min: '2001-01-01T00:01:00.000000Z', max: expect.stringMatching(/^2001-01-03T23:/) });
  });
});
