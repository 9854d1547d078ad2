/**
 * The docs' requests on the real flights example (unshifted 2001 data): a
 * materialization through the API, online features for `origin=SEA` checked
 * against the latest row per airport computed independently in DuckDB, and a
 * point-in-time dataset over HTTP checked against a DuckDB ASOF join.
 */
import { tableFromIPC } from 'apache-arrow';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadDefinitions } from '../../src/definitions/loader.js';
import { openOfflineEngine } from '../../src/offline/engine.js';
import { openProject, type Project } from '../../src/project.js';
import { createApp, type FeatureguardApp } from '../../src/server/app.js';
import { copyFlightsProject } from '../helpers/flights.js';
import { post } from './fixture.js';

let dir: string;
let project: Project;
let app: FeatureguardApp;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fg-server-flights-'));
  await copyFlightsProject(dir, { data: 'link' });
  project = openProject(dir);
  project.registry.apply(loadDefinitions(project.root, project.config));
  app = createApp(project);
});
afterAll(async () => {
  await project?.close();
  rmSync(dir, { recursive: true, force: true });
});

const START = '2001-06-28T00:00:00Z';
const END = '2001-07-01T00:00:00Z';

it('materializes through the API and serves origin=SEA as the latest row per airport', async () => {
  const res = await app.request('/v1/materialize', post({ views: ['airport_hourly'], start: START, end: END }));
  expect(res.status).toBe(202);
  const { job_id } = (await res.json()) as { job_id: string };
  let job: any;
  for (let i = 0; i < 600; i++) {
    job = await (await app.request(`/v1/materialize/${job_id}`)).json();
    if (job.status !== 'running') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(job.status).toBe('done');
  expect(['success', 'warned']).toContain(job.runs[0].status);

  const engine = await openOfflineEngine();
  const [expected] = await engine.all(`
    SELECT strftime(hour_end, '%Y-%m-%dT%H:%M:%SZ') AS ts, departures, mean_delay
    FROM read_parquet('${join(dir, 'data/airport_hourly.parquet')}')
    WHERE origin = 'SEA' AND hour_end >= TIMESTAMP '2001-06-28' AND hour_end < TIMESTAMP '2001-07-01'
    ORDER BY hour_end DESC, computed_at DESC LIMIT 1`);
  const body = (await (await app.request('/v1/online-features', post({
    features: ['airport_hourly:mean_delay', 'airport_hourly:departures'], entities: { origin: ['SEA'] },
  }))).json()) as any;
  expect(body.metadata.feature_names).toEqual(['origin', 'mean_delay', 'departures']);
  // 2001 data is far older than the view's 6h ttl: the value is withheld, its timestamp still reported.
  expect(body.results[1]).toEqual({ values: [null], statuses: ['OUTSIDE_MAX_AGE'], event_timestamps: [expected.ts] });
  expect(body.results[2].event_timestamps).toEqual([expected.ts]);
});

it('streams a point-in-time dataset that matches a DuckDB ASOF join', async () => {
  const entities = { origin: ['SEA', 'ATL', 'SEA'], event_timestamp: ['2001-03-01T12:30:00Z', '2001-03-01T18:00:00Z', '2001-05-20T07:10:00Z'] };
  const res = await app.request('/v1/datasets', post({ features: ['airport_hourly:mean_delay', 'airport_hourly:departures'], entities }));
  expect(res.status).toBe(200);
  const got = tableFromIPC(new Uint8Array(await res.arrayBuffer())).toArray().map((r) => r.toJSON());
  const engine = await openOfflineEngine();
  const want = await engine.all(`
    WITH e AS (SELECT * FROM (VALUES (0, 'SEA', TIMESTAMP '2001-03-01 12:30:00'), (1, 'ATL', TIMESTAMP '2001-03-01 18:00:00'), (2, 'SEA', TIMESTAMP '2001-05-20 07:10:00')) t(i, origin, ts))
    SELECT e.i, (SELECT f.mean_delay FROM read_parquet('${join(dir, 'data/airport_hourly.parquet')}') f
      WHERE f.origin = e.origin AND f.hour_end <= e.ts AND f.hour_end >= e.ts - INTERVAL 6 HOUR
      ORDER BY f.hour_end DESC, f.computed_at DESC LIMIT 1) AS mean_delay
    FROM e ORDER BY e.i`);
  expect(got.map((r) => r.origin)).toEqual(['SEA', 'ATL', 'SEA']);
  expect(got.map((r) => r.mean_delay)).toEqual(want.map((w) => w.mean_delay));
  expect(want.filter((w) => w.mean_delay !== null).length).toBeGreaterThan(0);
});
