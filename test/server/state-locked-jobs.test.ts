/**
 * A push (guards included), a materialization (`POST /v1/materialize`) or a dataset build (`POST /v1/datasets`) that finds the state database write-locked
 * by another process in the middle of its work (a CLI apply, prune or materialization, an operator's sqlite3
 * session): the job waits for the lock on a timer, and the server keeps answering online reads meanwhile. A review
 * finding: the guard stage's records (results, profiles, tamper checksums), the leases, intervals, online-write
 * bookkeeping and a materialization's run records were written with SQLite's synchronous busy wait, so every online
 * read of the server stalled until the lock was released (up to 10 s).
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/server/app.js';
import type { RunKind } from '../../src/runs/types.js';
import { writeLockOnCue, type WriteLockOnCue } from '../helpers/write-lock-on-cue.js';
import { createFixture, json, post, READ_SEA, type Fixture } from './fixture.js';

let fx: Fixture;
let app: ReturnType<typeof createApp>;
let holder: WriteLockOnCue;
const WINDOW = { views: ['origin_delays'], start: '2001-01-01T00:00:00Z', end: '2001-01-02T00:00:00Z' };

beforeEach(async () => {
  fx = await createFixture();
  app = createApp(fx.project);
  // A materialization and a push before: the online store has values, and the tables the jobs write exist.
  await materializeAndWait();
  expect((await app.request('/v1/push', post(pushBody(1)))).status).toBe(200);
  holder = await writeLockOnCue(join(fx.dir, '.featureguard', 'state.db'));
});
afterEach(async () => {
  holder?.close();
  await fx?.close();
});

const pushBody = (hour: number) => ({ view: 'origin_delays', rows: [{ origin: 'SEA', event_timestamp: `2001-01-02T${String(hour).padStart(2, '0')}:00:00Z`, dep_delay: 1.5, flights: 7, carrier: 'UA' }] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function materializeAndWait(): Promise<{ status: string; runs: { status: string; run_id: string }[] }> {
  const res = await app.request('/v1/materialize', post(WINDOW));
  const started = await json(res);
  expect(res.status, JSON.stringify(started)).toBe(202);
  for (;;) {
    const job = await json(await app.request(`/v1/materialize/${started.job_id}`));
    if (job.status !== 'running') return job;
    await sleep(20);
  }
}

/** Once a run of `kind` newer than `known` is recorded (its job is under way), lock the state database for `ms` (in an object: see `holdWriteLock`). */
async function lockWhenRunning(kind: RunKind, known: number, ms: number): Promise<{ ended: Promise<void> }> {
  for (let i = 0; i < 5000; i++) {
    if (fx.project.runs.list({ kind }).total > known) return holder.lock(ms);
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`no ${kind} run started`);
}

/** When `job` settled (ms, `performance.now()`), once it has. */
function settledAt<T>(job: Promise<T>): { at: number; job: Promise<T> } {
  const out = { at: Infinity, job };
  out.job = job.finally(() => (out.at = performance.now()));
  return out;
}

/** Online reads every 40 ms until `until` settles: the longest a read took, counted from when it was due. */
async function slowestReadUntil(until: Promise<unknown>): Promise<{ slowest: number; reads: number }> {
  let done = false;
  void until.finally(() => (done = true));
  let slowest = 0;
  let reads = 0;
  while (!done) {
    const due = performance.now() + 40;
    await sleep(40);
    const res = await app.request('/v1/online-features', post(READ_SEA));
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    slowest = Math.max(slowest, performance.now() - due);
    reads++;
  }
  return { slowest, reads };
}

describe('jobs of the server while another process holds the state database write lock mid-job', () => {
  it('a push with guards: online reads answer promptly, and the push finishes once the lock is released', async () => {
    const known = fx.project.runs.list({ kind: 'push' }).total;
    const pushing = settledAt(Promise.resolve(app.request('/v1/push', post(pushBody(2)))));
    const { ended } = await lockWhenRunning('push', known, 2000);
    const released = settledAt(ended);
    const { slowest, reads } = await slowestReadUntil(ended);
    const res = await pushing.job;
    // It waited for the lock (its guard stage's records came after the run's), not finished before it was taken.
    expect(pushing.at).toBeGreaterThan(released.at - 50);
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.status).toMatch(/success|warned/);
    expect(slowest).toBeLessThan(200);
    expect(reads).toBeGreaterThan(10);
    const run = fx.project.runs.get(body.run_id);
    expect(run.status).toBe(body.status);
    expect(fx.project.runs.results(body.run_id).length).toBeGreaterThan(0);
    expect(fx.project.runs.profiles(body.run_id).length).toBeGreaterThan(0);
  });

  it('POST /v1/materialize: online reads answer promptly, and the materialization succeeds once the lock is released', async () => {
    const known = fx.project.runs.list({ kind: 'materialize' }).total;
    const job = settledAt(materializeAndWait());
    const { ended } = await lockWhenRunning('materialize', known, 2000);
    const released = settledAt(ended);
    const { slowest, reads } = await slowestReadUntil(ended);
    const done = await job.job;
    expect(job.at).toBeGreaterThan(released.at - 50);
    expect(done.status, JSON.stringify(done)).toBe('done');
    expect(done.runs[0].status).toBe('success');
    expect(slowest).toBeLessThan(200);
    expect(reads).toBeGreaterThan(10);
    const run = fx.project.runs.get(done.runs[0].run_id);
    expect(run).toMatchObject({ status: 'success', rows_in: 72 });
    expect(fx.project.runs.results(run.id).length).toBeGreaterThan(0);
  });

  it('POST /v1/datasets: online reads answer promptly, and the dataset is built once the lock is released', async () => {
    const known = fx.project.runs.list({ kind: 'dataset' }).total;
    const building = settledAt(Promise.resolve(app.request('/v1/datasets', post({ features: ['origin_delays:flights'], entity_rows: [{ origin: 'SEA', event_timestamp: '2001-01-02T00:00:00Z' }], format: 'json' }))).then(async (res) => ({ res, text: await res.text() })));
    const { ended } = await lockWhenRunning('dataset', known, 2000);
    const released = settledAt(ended);
    const { slowest, reads } = await slowestReadUntil(ended);
    const { res, text } = await building.job;
    expect(res.status, text).toBe(200);
    expect(building.at).toBeGreaterThan(released.at - 50);
    expect(slowest).toBeLessThan(200);
    expect(reads).toBeGreaterThan(10);
    expect(text).toContain('"flights":23');
    const [run] = fx.project.runs.list({ kind: 'dataset', limit: 1 }).runs;
    expect(run.status).toMatch(/success|warned/);
  });
});
