/**
 * The metrics of a Feast push to a source many views read that fails part way (its Redis stops): the views
 * written before the failure count as the pushes they were (runs and rows), and the failure counts under the
 * view that failed, not under the source's name.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadDefinitions } from '../../src/definitions/loader.js';
import { createApp, type FeatureguardApp } from '../../src/server/app.js';
import { startRedisServer, type RedisProcess } from '../setup/redis.js';
import { createFixture, post, type Fixture } from './fixture.js';

const VIEWS = 30;
let redis: RedisProcess;
let fx: Fixture;
let app: FeatureguardApp;

beforeAll(async () => {
  redis = await startRedisServer();
  fx = await createFixture({ onlineStore: `{type: redis, url: "redis://127.0.0.1:${redis.port}", key_prefix: "fgpartial:"}` });
  const views = Array.from({ length: VIEWS }, (_, i) => `kind: feature_view
name: v${String(i).padStart(3, '0')}
entities: [airport]
source: delays_source
online: true
features:
  - {name: flights, type: int64}
`);
  writeFileSync(join(fx.dir, 'features', 'more.yaml'), views.join('---\n'));
  fx.project.registry.apply(loadDefinitions(fx.project.root, fx.project.config));
  app = createApp(fx.project, { errorLog: () => undefined });
});
afterAll(async () => {
  await fx?.close();
  await redis?.stop();
});

/** The non-zero samples of the push counters, as `name{labels} value` lines. */
async function pushSamples(): Promise<string[]> {
  const text = await (await app.request('/metrics')).text();
  return text.split('\n').filter((l) => /^featureguard_(push_runs_total|push_rows_total|run_verdicts_total\{kind="push")/.test(l) && !l.endsWith(' 0'));
}

it('counts the views written before the failure, and the failure under the view that failed', async () => {
  const pushing = app.request('/push', post({ push_source_name: 'delays_source', df: { origin: ['SEA'], event_timestamp: ['2001-01-10 10:00:00'], dep_delay: [1.5], flights: [4], carrier: ['AA'] } }));
  // Redis stops once the first view's run succeeded: the next views' writes fail.
  const succeeded = () => fx.project.state.prepare("SELECT count(*) FROM runs WHERE kind = 'push' AND status = 'success'").pluck().get() as number;
  for (let i = 0; i < 2000 && succeeded() === 0; i++) await new Promise((r) => setTimeout(r, 2));
  await redis.stop();
  const res = await pushing;
  const body = (await res.json()) as { error: { code: string; details: { views: { view: string; run_id: string }[] } } };
  expect([res.status, body.error.code]).toEqual([503, 'store_unavailable']);
  const written = body.error.details.views.map((v) => v.view);
  expect(written.length).toBeGreaterThan(0);
  expect(written.length).toBeLessThan(VIEWS + 1);
  const all = ['origin_delays', ...Array.from({ length: VIEWS }, (_, i) => `v${String(i).padStart(3, '0')}`)];
  const failedView = all[written.length];
  const runs = fx.project.runs.list({ kind: 'push', limit: 100 }).runs;
  const ok = runs.filter((r) => r.status === 'success' || r.status === 'warned').length;
  expect(ok).toBe(written.length);
  expect(runs.find((r) => r.status === 'failed')?.view).toBe(failedView);

  const samples = await pushSamples();
  expect(samples.filter((l) => l.includes('source'))).toEqual([]);
  for (const view of written) {
    expect(samples).toContainEqual(expect.stringMatching(new RegExp(`^featureguard_push_runs_total\\{view="${view}",status="(success|warned)"\\} 1$`)));
    expect(samples).toContain(`featureguard_push_rows_total{view="${view}",to="online"} 1`);
  }
  expect(samples).toContain(`featureguard_push_runs_total{view="${failedView}",status="failed"} 1`);
  expect(samples.filter((l) => l.startsWith('featureguard_push_runs_total')).length).toBe(written.length + 1);
  const verdicts = samples.filter((l) => l.startsWith('featureguard_run_verdicts_total')).reduce((n, l) => n + Number(l.split(' ')[1]), 0);
  expect(verdicts).toBe(written.length + 1);
});
