/**
 * A Feast synchronous `/materialize` waits for a view's running materialization (`startWhenFree`). A client that
 * gave up meanwhile (a timeout, a retry) must not leave a materialization queued behind it: the request's abort
 * signal ends the wait, and a request aborted while waiting starts nothing once the view is free.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMaterialization } from '../../src/materialize/materialize.js';
import { acquireLeases } from '../../src/materialize/lease.js';
import { createApp, type FeatureguardApp } from '../../src/server/app.js';
import { createMaterializeJobs, type MaterializeJobs } from '../../src/server/materialize-jobs.js';
import { createFixture, json, post, type Fixture } from './fixture.js';

let fx: Fixture;
let app: FeatureguardApp;
let jobs: MaterializeJobs;

beforeAll(async () => {
  fx = await createFixture();
  jobs = createMaterializeJobs((o, trigger) => startMaterialization(fx.project, o, trigger), { waitForRunningMs: 20_000 });
  app = createApp(fx.project, { jobs, ui: false });
});
afterAll(async () => {
  await jobs?.idle();
  await fx?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Feast's synchronous materialize whose client disconnected while waiting for the view", () => {
  it('ends the wait at the abort and starts nothing once the view is free', async () => {
    const [lease] = acquireLeases(fx.project.state, ['origin_delays'], 'materialize-cli-test');
    let released = false;
    const runsBefore = fx.project.runs.list({ view: 'origin_delays' }).total;
    try {
      const gaveUp = [new AbortController(), new AbortController()];
      const waiting = gaveUp.map((ac, i) =>
        Promise.resolve(app.request('/materialize', { ...post({ start_ts: `2001-01-01T0${i}:00:00`, end_ts: '2001-01-01T12:00:00', feature_views: ['origin_delays'] }), signal: ac.signal })),
      );
      await sleep(200);
      for (const ac of gaveUp) ac.abort();
      // The aborted requests end their wait at once (not when the view is free).
      const settled = await Promise.race([Promise.allSettled(waiting).then(() => true), sleep(1_500).then(() => false)]);
      expect(settled).toBe(true);
      await lease.release();
      released = true;
      // Past the first retry (1 s after each try): a waiting request would have started its run by now.
      await sleep(2_500);
      expect(jobs.list().map((j) => j.runs.map((r) => r.window.start))).toEqual([]);
      expect(fx.project.runs.list({ view: 'origin_delays' }).total).toBe(runsBefore);
      // A client still connected runs as before.
      const res = await app.request('/materialize', post({ start_ts: '2001-01-01T00:00:00', end_ts: '2001-01-01T12:00:00', feature_views: ['origin_delays'] }));
      expect(res.status, await res.clone().text()).toBe(200);
      expect(await json(res)).toMatchObject({ status: 'done', runs: [{ view: 'origin_delays' }] });
      expect(jobs.list()).toHaveLength(1);
    } finally {
      if (!released) await lease.release();
    }
  }, 15_000);

  it('startWhenFree with a signal already aborted starts nothing', async () => {
    let calls = 0;
    const bare = createMaterializeJobs(async () => {
      calls++;
      throw new Error('unused');
    });
    const ac = new AbortController();
    ac.abort();
    await expect(bare.startWhenFree({ incremental: true }, 'api', undefined, ac.signal)).rejects.toMatchObject({ code: 'request_aborted', status: 499 });
    expect(calls).toBe(0);
  });
});
