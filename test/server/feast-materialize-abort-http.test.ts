/**
 * The same through a real HTTP server (`@hono/node-server`, as `serve` runs): clients that time out while their
 * synchronous Feast `/materialize` waits for the view (`curl --max-time`) leave no materialization queued.
 */
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startMaterialization } from '../../src/materialize/materialize.js';
import { acquireLeases } from '../../src/materialize/lease.js';
import { createApp } from '../../src/server/app.js';
import { createMaterializeJobs, type MaterializeJobs } from '../../src/server/materialize-jobs.js';
import { createFixture, type Fixture } from './fixture.js';
let fx: Fixture; let jobs: MaterializeJobs; let server: ReturnType<typeof serve>; let port = 0;
beforeAll(async () => {
  fx = await createFixture();
  jobs = createMaterializeJobs((o, trigger) => startMaterialization(fx.project, o, trigger));
  const app = createApp(fx.project, { jobs, ui: false });
  await new Promise<void>((r) => { server = serve({ fetch: app.fetch, port: 0 }, (info) => { port = info.port; r(); }); });
});
afterAll(async () => { server.close(); await jobs.idle(); await fx.close(); });
it('clients that disconnected while waiting start nothing once the view is free', async () => {
  const [lease] = acquireLeases(fx.project.state, ['origin_delays'], 'materialize-cli-test');
  for (let i = 0; i < 2; i++) {
    await fetch(`http://127.0.0.1:${port}/materialize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ start_ts: '2001-01-01T00:00:00', end_ts: '2001-01-01T12:00:00', feature_views: ['origin_delays'] }), signal: AbortSignal.timeout(500) }).then(() => expect.unreachable('the client timed out'), (e: Error) => expect(e.name).toBe('TimeoutError'));
  }
  const runsBefore = fx.project.runs.list({ view: 'origin_delays' }).total;
  await new Promise((r) => setTimeout(r, 300));
  await lease.release();
  await new Promise((r) => setTimeout(r, 2500));
  // Past the first retry (1 s after each try): a request still waiting would have started its run by now.
  expect(jobs.list()).toHaveLength(0);
  expect(fx.project.runs.list({ view: 'origin_delays' }).total).toBe(runsBefore);
}, 15000);
