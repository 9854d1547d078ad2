/**
 * `POST /v1/registry/apply` while another process holds the state database's write lock (a CLI apply, a
 * materialization writing its run, an operator's sqlite3 session): the apply waits for the lock without stopping
 * the server (a review finding: it waited in SQLite's synchronous busy handler, so `/health` and every online read
 * answered only once the apply gave up, 10 s later), then applies, or answers 409 `registry_busy` at the same limit
 * as before (the connection's busy timeout).
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Definition } from '../../src/definitions/types.js';
import { createApp } from '../../src/server/app.js';
import { holdWriteLock } from '../helpers/write-lock.js';
import { createFixture, json, post, type Fixture } from './fixture.js';

let fx: Fixture;
beforeEach(async () => {
  fx = await createFixture();
  // A project applied before (by the CLI, as a served project is): the apply's tables exist.
  expect((await createApp(fx.project).request('/v1/registry/apply', post({ definitions: changedDefs(fx, 'first') }))).status).toBe(200);
});
afterEach(async () => {
  await fx?.close();
});

/** The applied definitions, with the view's description changed (a change that is not breaking). */
const changedDefs = (fixture: Fixture, description: string): Definition[] => {
  const s = fixture.project.registry.current();
  const views = [...s.views.values()].map((v) => ({ ...v, description }));
  return [...s.entities.values(), ...s.sources.values(), ...views, ...s.services.values()];
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long `/health` takes to answer, asked `after` ms from now. */
async function healthLatency(app: ReturnType<typeof createApp>, after: number): Promise<number> {
  const t = performance.now();
  await sleep(after);
  const res = await app.request('/health');
  expect(res.status).toBe(200);
  return performance.now() - t - after;
}

describe('POST /v1/registry/apply while another process holds the write lock', () => {
  it('keeps the server answering and applies once the lock is released', async () => {
    const app = createApp(fx.project);
    const { ended } = await holdWriteLock(join(fx.dir, '.featureguard', 'state.db'), 1500);
    const t0 = performance.now();
    const applying = app.request('/v1/registry/apply', post({ definitions: changedDefs(fx, 'while locked') }));
    // The apply is waiting for the lock now: the server still answers at once.
    expect(await healthLatency(app, 100)).toBeLessThan(400);
    expect(await healthLatency(app, 200)).toBeLessThan(400);
    const res = await applying;
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.applied.map((a: { name: string }) => a.name)).toEqual(['origin_delays']);
    // It waited for the lock (not written around it).
    expect(performance.now() - t0).toBeGreaterThan(1000);
    await ended;
    expect(fx.project.registry.current().views.get('origin_delays')?.description).toBe('while locked');
  });

  it('answers 409 registry_busy after the busy timeout, without blaming another apply, and the server answers meanwhile', async () => {
    // The limit is the connection's busy timeout (10 s in a real project): shortened for the test.
    fx.project.state.pragma('busy_timeout = 800');
    const app = createApp(fx.project);
    const { ended } = await holdWriteLock(join(fx.dir, '.featureguard', 'state.db'), 2500);
    const t0 = performance.now();
    const applying = app.request('/v1/registry/apply', post({ definitions: changedDefs(fx, 'never') }));
    expect(await healthLatency(app, 100)).toBeLessThan(400);
    const res = await applying;
    const waited = performance.now() - t0;
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(409);
    expect(body.error.code).toBe('registry_busy');
    expect(body.error.message).not.toMatch(/applying changes/);
    expect(body.error.message).toMatch(/another process/);
    expect(waited).toBeGreaterThan(700);
    expect(waited).toBeLessThan(2400);
    await ended;
    expect(fx.project.registry.current().views.get('origin_delays')?.description).not.toBe('never');
    // The connection's busy timeout is what it was.
    expect(fx.project.state.pragma('busy_timeout', { simple: true })).toBe(800);
  });
});
