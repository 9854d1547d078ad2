/**
 * `POST /v1/push` while another process holds the state database's write lock (an operator's sqlite3 session, a
 * backup, a CLI prune): the push waits to record its run without stopping the server (a review finding: it waited
 * in SQLite's synchronous busy handler, so `/health` and every online read answered only once the lock was
 * released or the push gave up 10 s later), then pushes, or answers 503 `state_unavailable` at the same limit.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/server/app.js';
import { holdWriteLock } from '../helpers/write-lock.js';
import { createFixture, json, post, type Fixture } from './fixture.js';

let fx: Fixture;
let app: ReturnType<typeof createApp>;
beforeEach(async () => {
  fx = await createFixture();
  app = createApp(fx.project);
  // A push before: the tables a push writes exist, as in a served project.
  expect((await app.request('/v1/push', post(pushBody(1)))).status).toBe(200);
});
afterEach(async () => {
  await fx?.close();
});

const pushBody = (hour: number) => ({ view: 'origin_delays', rows: [{ origin: 'SEA', event_timestamp: `2001-01-02T${String(hour).padStart(2, '0')}:00:00Z`, dep_delay: 1.5, flights: 7, carrier: 'UA' }] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long `/health` takes to answer, asked `after` ms from now. */
async function healthLatency(after: number): Promise<number> {
  const t = performance.now();
  await sleep(after);
  const res = await app.request('/health');
  expect(res.status).toBe(200);
  return performance.now() - t - after;
}

describe('POST /v1/push while another process holds the state database write lock', () => {
  it('keeps the server answering, and pushes once the lock is released', async () => {
    const { ended } = await holdWriteLock(join(fx.dir, '.featureguard', 'state.db'), 1500);
    const t0 = performance.now();
    const pushing = app.request('/v1/push', post(pushBody(2)));
    expect(await healthLatency(100)).toBeLessThan(400);
    expect(await healthLatency(200)).toBeLessThan(400);
    const res = await pushing;
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ written: 1, status: expect.stringMatching(/success|warned/) });
    expect(performance.now() - t0).toBeGreaterThan(1000);
    await ended;
    expect(fx.project.runs.get(body.run_id).status).toMatch(/success|warned/);
  });

  it('answers 503 state_unavailable after the busy timeout, recording nothing, and the server answers meanwhile', async () => {
    // The limit is the connection's busy timeout (10 s in a real project): shortened for the test.
    fx.project.state.pragma('busy_timeout = 800');
    const before = fx.project.runs.list({}).total;
    const { ended } = await holdWriteLock(join(fx.dir, '.featureguard', 'state.db'), 2500);
    const t0 = performance.now();
    const pushing = app.request('/v1/push', post(pushBody(3)));
    expect(await healthLatency(100)).toBeLessThan(400);
    const res = await pushing;
    const waited = performance.now() - t0;
    expect([res.status, (await json(res)).error.code]).toEqual([503, 'state_unavailable']);
    expect(waited).toBeGreaterThan(700);
    expect(waited).toBeLessThan(2400);
    await ended;
    expect(fx.project.runs.list({}).total).toBe(before);
    expect(fx.project.state.pragma('busy_timeout', { simple: true })).toBe(800);
  });
});
