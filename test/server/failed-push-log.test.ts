/**
 * A push that fails once its run exists (its Redis stopped: 503 `store_unavailable`) names that run in the request
 * log line and the metrics count it under its view, also a Feast push to a source several views read whose first
 * view fails (it was counted under `view=""`, and its line named no run).
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { startRedisServer, type RedisProcess } from '../setup/redis.js';
import { createFixture, type Fixture } from './fixture.js';
import { addOriginFlightsView } from './origin-flights-view.js';

let redis: RedisProcess;
let fx: Fixture;
let server: RunningServer;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  fx = await createFixture({ onlineStore: `{type: redis, url: "redis://127.0.0.1:${redis.port}", key_prefix: "fgfailedlog:"}` });
  addOriginFlightsView(fx);
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  server = await startServer(fx.project, { port: 0, scheduler: false, logger: pino({ level: 'info' }, sink) });
  await redis.stop();
});
afterAll(async () => {
  await server?.close();
  await fx?.close();
  await redis?.stop();
});

const send = (path: string, body: unknown) => fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** The request lines logged for a path, once the log stream has flushed. */
async function logged(path: string): Promise<Record<string, unknown>[]> {
  await new Promise((r) => setTimeout(r, 50));
  return lines.filter((l) => l.msg === 'request' && l.path === path);
}

/** The non-zero samples of the push run counter. */
async function pushRunSamples(): Promise<string[]> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith('featureguard_push_runs_total{') && !l.endsWith(' 0'));
}

const failedRuns = (view: string) => fx.project.runs.list({ kind: 'push', limit: 100 }).runs.filter((r) => r.view === view && r.status === 'failed');

it('names the run of a push that failed with a 5xx after its run was created in the request log line', async () => {
  const res = await send('/v1/push', { view: 'origin_delays', rows: [{ origin: 'SEA', event_timestamp: '2001-01-03T00:00:00Z', dep_delay: 1, flights: 1, carrier: 'AA' }] });
  expect([res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([503, 'store_unavailable']);
  const [run] = failedRuns('origin_delays');
  expect(run).toBeDefined();
  const [line] = await logged('/v1/push');
  expect(line).toMatchObject({ status: 503, run_ids: [run.id], views: ['origin_delays'] });
  // The error log's line of the outage (its first request) names it too.
  expect(lines.find((l) => l.msg === 'answering 503 store_unavailable')).toMatchObject({ path: '/v1/push', run_ids: [run.id], views: ['origin_delays'] });
  expect(await pushRunSamples()).toEqual(['featureguard_push_runs_total{view="origin_delays",status="failed"} 1']);
});

it('labels a Feast push whose first view fails with that view, and names its run', async () => {
  const res = await send('/push', { push_source_name: 'delays_source', df: { origin: ['SEA'], event_timestamp: ['2001-01-04 10:00:00'], dep_delay: [1.5], flights: [4], carrier: ['AA'] } });
  expect([res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([503, 'store_unavailable']);
  const runs = failedRuns('origin_delays');
  expect(runs).toHaveLength(2);
  const [line] = await logged('/push');
  expect(line).toMatchObject({ status: 503, run_ids: [runs[0].id], views: ['origin_delays'] });
  expect(await pushRunSamples()).toEqual(['featureguard_push_runs_total{view="origin_delays",status="failed"} 2']);
});
