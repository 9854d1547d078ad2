/**
 * Feast's synchronous `/materialize` and `/materialize-incremental` never answer 409 (feast-dev/feast
 * `feature_server.py`: only `?async=true` checks for a running materialization). While another materialization of
 * the view holds its lease — a schedule, an async job of this server, a CLI — the synchronous Feast call waits for
 * it to end and then runs; only past the bound (`waitForRunningMs`, 10 minutes by default) is it the 409 it was.
 * `?async=true` and featureguard's own `/v1/materialize` still answer 409 at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GuardStageInput } from '../../src/guards/stage.js';
import { startMaterialization } from '../../src/materialize/materialize.js';
import { acquireLeases } from '../../src/materialize/lease.js';
import { createApp, type FeatureguardApp } from '../../src/server/app.js';
import { createMaterializeJobs, WAIT_FOR_RUNNING_MS } from '../../src/server/materialize-jobs.js';
import { createFixture, json, post, type Fixture } from './fixture.js';

let fx: Fixture;
let app: FeatureguardApp;
/** Opens the guard stage of the job started while `gate` is set: the job holds the view's lease until then. */
let gate: Promise<void> | null = null;

const NO_COUNTS = { pass: 0, warn: 0, fail: 0, error: 0, skipped: 0 };

beforeAll(async () => {
  fx = await createFixture();
  const held = async (_: GuardStageInput) => {
    if (gate) await gate;
    return { verdict: 'pass' as const, results: [], blockedReason: null, counts: { ...NO_COUNTS } };
  };
  const jobs = createMaterializeJobs((o, trigger) => startMaterialization(fx.project, { ...o, guardStage: held }, trigger), { waitForRunningMs: 2_500 });
  app = createApp(fx.project, { jobs, ui: false });
});
afterAll(async () => {
  await fx?.close();
});

/** Whether `p` is still pending after `ms`. */
async function pendingAfter(p: Promise<unknown> | unknown, ms: number): Promise<boolean> {
  return Promise.race([Promise.resolve(p).then(() => false, () => false), new Promise<boolean>((r) => setTimeout(() => r(true), ms))]);
}

describe("Feast's synchronous materialize while the view is materializing", () => {
  it('waits for the running job of this server (an async job, a schedule) to finish, then runs: 200, not 409', async () => {
    let open!: () => void;
    gate = new Promise<void>((r) => (open = r));
    const started = await app.request('/v1/materialize', post({ views: ['origin_delays'], start: '2001-01-01T00:00:00Z', end: '2001-01-01T12:00:00Z' }));
    expect(started.status, await started.clone().text()).toBe(202);
    const first = (await json(started)).id;
    // The async Feast call and featureguard's own route still answer 409 at once.
    for (const [path, body] of [['/materialize-incremental?async=true', { end_ts: '2001-01-02T00:00:00' }], ['/v1/materialize', { views: ['origin_delays'], incremental: true, end: '2001-01-02T00:00:00Z' }]] as const) {
      const res = await app.request(path, post(body));
      expect([res.status, (await json(res)).error.code], path).toEqual([409, 'materialization_running']);
    }
    const waiting = Promise.resolve(app.request('/materialize-incremental', post({ end_ts: '2001-01-02T00:00:00', feature_views: ['origin_delays'] })));
    expect(await pendingAfter(waiting, 300)).toBe(true);
    gate = null;
    open();
    const res = await waiting;
    const job = await json(res);
    expect(res.status, JSON.stringify(job)).toBe(200);
    // It ran after the first job: its incremental window starts where that one ended.
    expect((await json(await app.request(`/v1/materialize/${first}`))).status).toBe('done');
    expect(job).toMatchObject({ status: 'done', runs: [{ view: 'origin_delays', status: 'success', window: { start: '2001-01-01T12:00:00.000Z', end: '2001-01-02T00:00:00.000Z' } }] });
  });

  it("waits for another process's materialization (a lease this server tracks no job of), retrying until it is free", async () => {
    const [lease] = acquireLeases(fx.project.state, ['origin_delays'], 'materialize-cli-test');
    const waiting = Promise.resolve(app.request('/materialize', post({ start_ts: '2001-01-02T00:00:00', end_ts: '2001-01-02T06:00:00', feature_views: ['origin_delays'] })));
    expect(await pendingAfter(waiting, 1_200)).toBe(true);
    await lease.release();
    const res = await waiting;
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await json(res)).toMatchObject({ status: 'done', runs: [{ status: 'success' }] });
  });

  it('answers the 409 once the bound has passed with the view still held', async () => {
    const [lease] = acquireLeases(fx.project.state, ['origin_delays'], 'materialize-cli-test');
    try {
      const t0 = Date.now();
      const res = await app.request('/materialize', post({ start_ts: '2001-01-02T06:00:00', end_ts: '2001-01-02T12:00:00', feature_views: ['origin_delays'] }));
      const body = await json(res);
      expect([res.status, body.error.code]).toEqual([409, 'materialization_running']);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(2_400);
      expect(body.error.message).toContain('waited 2.5 s');
    } finally {
      await lease.release();
    }
  });

  it('waits 10 minutes by default', () => {
    expect(WAIT_FOR_RUNNING_MS).toBe(600_000);
    expect(createMaterializeJobs(async () => { throw new Error('unused'); }).waitForRunningMs).toBe(600_000);
  });
});
