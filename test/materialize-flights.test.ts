/**
 * Materialization of the real flights example, checked against the latest row per
 * entity computed independently in DuckDB (arg_max over the raw Parquet files),
 * for the embedded sqlite store and for Redis.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadDefinitions } from '../src/definitions/loader.js';
import { materialize, startMaterialization } from '../src/materialize/materialize.js';
import { openOfflineEngine } from '../src/offline/engine.js';
import { openProject, type Project } from '../src/project.js';
import { formatMicros, getOnlineFeatures } from '../src/serving/online-features.js';
import type { OnlineFeaturesResponse } from '../src/serving/online-features-types.js';
import { copyFlightsProject } from './helpers/flights.js';

/** The guards are tested elsewhere; here a pass-through stage isolates materialization. */
const guardStage = async () => ({ verdict: 'pass' as const, results: [], blockedReason: null, counts: { pass: 0, warn: 0, fail: 0, error: 0, skipped: 0 } });

const HOURLY = ['departures', 'mean_delay', 'p90_delay', 'share_delayed', 'mean_distance'];
const ROUTE = ['route_departures', 'route_mean_delay', 'route_p90_delay', 'route_share_delayed', 'route_distance'];

interface Expected {
  key: string[];
  ets: string;
  values: unknown[];
}

/** Latest row per entity in [start, end), computed with arg_max over the raw file (not the materializer's SQL). */
async function reference(file: string, keys: string[], ts: string, features: string[], start: string, end: string): Promise<Expected[]> {
  const engine = await openOfflineEngine();
  const feats = features.map((f) => `r.${f}`).join(', ');
  const rows = await engine.all(`
    WITH latest AS (
      SELECT ${keys.join(', ')}, arg_max(struct_pack(ts := ${ts}, ${features.map((f) => `${f} := ${f}`).join(', ')}), (${ts}, computed_at)) AS r
      FROM read_parquet('${file}')
      WHERE ${ts} >= TIMESTAMP '${start}' AND ${ts} < TIMESTAMP '${end}'
      GROUP BY ALL)
    SELECT ${keys.join(', ')}, epoch_us(r.ts) AS ets, ${feats} FROM latest ORDER BY ${keys.join(', ')}`);
  return rows.map((r) => ({
    key: keys.map((k) => String(r[k])),
    ets: formatMicros(Number(r.ets)),
    values: features.map((f) => (typeof r[f] === 'string' && /^\d+$/.test(r[f] as string) ? Number(r[f]) : r[f])),
  }));
}

function column(res: OnlineFeaturesResponse, name: string) {
  const i = res.metadata.feature_names.indexOf(name);
  expect(i, `feature ${name} in response`).toBeGreaterThanOrEqual(0);
  return res.results[i];
}

for (const storeKind of ['sqlite', 'redis', 'redis-cluster'] as const) {
  describe(`materialize the flights example into ${storeKind}`, () => {
    let dir: string;
    let project: Project;
    let data: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), `fg-mat-${storeKind}-`));
      await copyFlightsProject(dir, { data: 'link' });
      data = join(dir, 'data');
      if (storeKind !== 'sqlite') {
        const where =
          storeKind === 'redis'
            ? `  url: redis://127.0.0.1:${inject('redisPort')}`
            : `  cluster: [${inject('redisClusterPorts').map((p) => `"127.0.0.1:${p}"`).join(', ')}]`;
        const yaml = readFileSync(join(dir, 'featureguard.yaml'), 'utf8').replace(
          /online_store:\n  type: sqlite[^\n]*\n/,
          `online_store:\n  type: redis\n${where}\n  key_prefix: "fgtest:${dir.replace(/[^a-z0-9]/gi, '')}:"\n`,
        );
        expect(yaml).toContain('type: redis');
        writeFileSync(join(dir, 'featureguard.yaml'), yaml);
      }
      project = openProject(dir);
      project.registry.apply(loadDefinitions(dir, project.config));
    });
    afterAll(async () => {
      await project?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('writes the latest row of every entity of the window', async () => {
      const results = await materialize(project, { guardStage, start: '2001-01-02', end: '2001-01-03T00:00:00Z', views: ['airport_hourly', 'route_daily'] });
      expect(results.map((r) => [r.view, r.status])).toEqual([['airport_hourly', 'success'], ['route_daily', 'success']]);

      const hourly = await reference(join(data, 'airport_hourly.parquet'), ['origin'], 'hour_end', HOURLY, '2001-01-02', '2001-01-03');
      const rawRows = await (await openOfflineEngine()).all(
        `SELECT count(*) AS n FROM read_parquet('${join(data, 'airport_hourly.parquet')}') WHERE hour_end >= TIMESTAMP '2001-01-02' AND hour_end < TIMESTAMP '2001-01-03'`,
      );
      expect(results[0].rowsRead).toBe(Number(rawRows[0].n));
      expect(hourly.length).toBeGreaterThan(150);
      expect(results[0].entitiesWritten).toBe(hourly.length);
      expect(results[0].run?.status).toBe('success');
      expect(results[0].run?.rows_out).toBe(hourly.length);
      expect(results[0].run?.lineage?.job).toBe('materialize:airport_hourly');

      // ttl 6h, read as of the window end: older values are OUTSIDE_MAX_AGE.
      const now = new Date('2001-01-03T00:00:00Z');
      const origins = [...hourly.map((e) => e.key[0]), 'ZZZ'];
      const res = await getOnlineFeatures(project, { features: ['airport_hourly'], entities: { origin: origins } }, { now });
      expect(res.metadata.feature_names).toEqual(['origin', ...HOURLY]);
      expect(column(res, 'origin').values).toEqual(origins);
      const inTtl = hourly.map((e) => Date.parse(e.ets) >= now.getTime() - 6 * 3600_000);
      const fresh = inTtl.filter(Boolean).length;
      HOURLY.forEach((f, j) => {
        const col = column(res, f);
        expect(col.event_timestamps.slice(0, -1), f).toEqual(hourly.map((e) => e.ets));
        expect(col.statuses.slice(0, -1), f).toEqual(hourly.map((e, i) => (inTtl[i] ? (e.values[j] === null ? 'NULL_VALUE' : 'PRESENT') : 'OUTSIDE_MAX_AGE')));
        expect(col.values.slice(0, -1), f).toEqual(hourly.map((e, i) => (inTtl[i] ? e.values[j] : null)));
      });
      expect(fresh).toBeGreaterThan(10);
      expect(fresh).toBeLessThan(hourly.length);
      const last = origins.length - 1;
      expect(column(res, 'mean_delay').statuses[last]).toBe('NOT_FOUND');
      expect(column(res, 'mean_delay').values[last]).toBeNull();

      // Routes: two join keys, ttl 2d: all present; full feature names.
      const routes = await reference(join(data, 'route_daily.parquet'), ['origin', 'destination'], 'day_end', ROUTE, '2001-01-02', '2001-01-03');
      expect(results[1].entitiesWritten).toBe(routes.length);
      for (let start = 0; start < routes.length; start += 1000) {
        const part = routes.slice(start, start + 1000);
        const r2 = await getOnlineFeatures(
          project,
          { features: ['route_daily'], entities: { origin: part.map((e) => e.key[0]), destination: part.map((e) => e.key[1]) }, fullFeatureNames: true },
          { now },
        );
        expect(r2.metadata.feature_names).toEqual(['origin', 'destination', ...ROUTE.map((f) => `route_daily__${f}`)]);
        ROUTE.forEach((f, j) => {
          const col = column(r2, `route_daily__${f}`);
          expect(col.values, f).toEqual(part.map((e) => e.values[j]));
          expect(col.statuses).toEqual(part.map(() => 'PRESENT'));
          expect(col.event_timestamps).toEqual(part.map((e) => e.ets));
        });
      }
    });

    it('is monotonic across overlapping windows', async () => {
      const wide = await materialize(project, { guardStage, start: '2001-01-02', end: '2001-01-04', views: ['airport_hourly'] });
      expect(wide[0].status).toBe('success');
      const expected = await reference(join(data, 'airport_hourly.parquet'), ['origin'], 'hour_end', HOURLY, '2001-01-02', '2001-01-04');
      const narrow = await materialize(project, { guardStage, start: '2001-01-02', end: '2001-01-03', views: ['airport_hourly'] });
      expect(narrow[0].status).toBe('success');
      expect(narrow[0].entitiesWritten).toBe(0);
      expect(narrow[0].skipped).toBeGreaterThan(100);
      const res = await getOnlineFeatures(project, { features: ['airport_hourly:mean_delay'], entities: { origin: expected.map((e) => e.key[0]) } }, { now: new Date('2001-01-04T00:00:00Z') });
      const col = column(res, 'mean_delay');
      expected.forEach((e, i) => {
        expect(col.event_timestamps[i]).toBe(e.ets);
        if (col.statuses[i] === 'PRESENT') expect(col.values[i]).toEqual(e.values[1]);
      });
    });

    it('leaves the online store untouched when a run is blocked or fails', async () => {
      const origins = ['SEA', 'SFO', 'ORD', 'ATL', 'JFK'];
      const read = () => getOnlineFeatures(project, { features: ['airport_hourly'], entities: { origin: origins } }, { now: new Date('2001-01-10T00:00:00Z') });
      const before = await read();
      const statsBefore = await (await project.onlineStore()).stats();

      const blocked = await materialize(project, {
        start: '2001-01-04',
        end: '2001-01-10',
        views: ['airport_hourly'],
        guardStage: async () => ({ verdict: 'block', results: [], blockedReason: 'schema: test block', counts: { pass: 0, warn: 0, fail: 1, error: 0, skipped: 0 } }),
      });
      expect(blocked[0].status).toBe('blocked');
      expect(blocked[0].message).toBe('schema: test block');
      expect(project.runs.get(blocked[0].run!.id).status).toBe('blocked');
      expect(await read()).toEqual(before);

      // A failure after 20 entities were sent: the progress callback's own exception, which the caller gets back.
      const fire = new Error('disk on fire');
      await expect(materialize(project, {
        guardStage,
        start: '2001-01-04',
        end: '2001-01-10',
        views: ['airport_hourly'],
        batchSize: 10,
        onProgress: (p) => {
          if (p.entitiesWritten >= 20) throw fire;
        },
      })).rejects.toBe(fire);
      const [failed] = project.runs.list({ view: 'airport_hourly', limit: 1 }).runs;
      expect(failed).toMatchObject({ status: 'failed', message: 'the onProgress callback threw: disk on fire', window_start: '2001-01-04T00:00:00.000Z' });
      expect(await read()).toEqual(before);
      expect(await (await project.onlineStore()).stats()).toEqual(statsBefore);

      // The same window succeeds afterwards and changes the values.
      const ok = await materialize(project, { guardStage, start: '2001-01-04', end: '2001-01-10', views: ['airport_hourly'] });
      expect(ok[0].status).toBe('success');
      expect(await read()).not.toEqual(before);
    });

    it('refuses a concurrent materialization of the same view', async () => {
      const first = await startMaterialization(project, { guardStage, start: '2001-01-10', end: '2001-01-12', views: ['airport_hourly'] });
      await expect(startMaterialization(project, { guardStage, start: '2001-01-10', end: '2001-01-12', views: ['airport_hourly'] })).rejects.toMatchObject({
        code: 'materialization_running',
        status: 409,
      });
      const [r] = await first.done;
      expect(r.status).toBe('success');
      const again = await materialize(project, { guardStage, start: '2001-01-10', end: '2001-01-12', views: ['airport_hourly'] });
      expect(again[0].status).toBe('success');
    });

    it('materializes incrementally from the end of the last window', async () => {
      const first = await materialize(project, { guardStage, incremental: true, end: '2001-02-01T00:00:00Z', views: ['route_daily'] });
      // Earlier runs of route_daily ended at 2001-01-03.
      expect(first[0].window).toEqual({ start: '2001-01-03T00:00:00.000Z', end: '2001-02-01T00:00:00.000Z' });
      expect(first[0].status).toBe('success');
      const second = await materialize(project, { guardStage, incremental: true, end: '2001-02-03T00:00:00Z', views: ['route_daily'] });
      expect(second[0].window.start).toBe('2001-02-01T00:00:00.000Z');
      expect(second[0].entitiesWritten).toBeGreaterThan(0);
      const third = await materialize(project, { guardStage, incremental: true, end: '2001-02-03T00:00:00Z', views: ['route_daily'] });
      expect(third[0].status).toBe('up_to_date');
      expect(third[0].run).toBeNull();
      // Asked to end before the last window ended: up to date, no reversed window.
      const earlier = await materialize(project, { guardStage, incremental: true, end: '2001-01-15T00:00:00Z', views: ['route_daily'] });
      expect(earlier[0]).toMatchObject({ status: 'up_to_date', window: { start: '2001-02-03T00:00:00.000Z', end: '2001-02-03T00:00:00.000Z' }, message: 'nothing to materialize: already materialized up to 2001-02-03T00:00:00.000Z' });
    });
  });
}
