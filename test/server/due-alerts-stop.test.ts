/**
 * Sending the due alerts of runs failed for their process (a materialization taking a dead process's lease over
 * sends them beside its run) waits for the state database's write lock to take them. Under a server's stop signal
 * that wait ends once the signal aborts, as failing orphaned runs does (`failOrphanedRunsWhenFree`): it waited the
 * whole busy timeout (10 s), holding the server's stop. The alerts stay due for the next process.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sendDueAlerts } from '../../src/alerts/dispatch.js';
import type { Project } from '../../src/project.js';
import { takeProjectDueAlertsWhenFree } from '../../src/runs/run-store.js';
import { holdWriteLock } from '../helpers/write-lock.js';
import { createFixture, type Fixture } from './fixture.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await createFixture();
});
afterAll(async () => {
  await fx?.close();
});

const stateFile = () => join(fx.dir, '.featureguard', 'state.db');
/** The fixture's project with an alert configured (one without alerts takes no due alert, lock or not). */
const alerting = (): Project => Object.create(fx.project, { config: { value: { ...fx.project.config, alerts: [{ name: 'page', url: 'http://127.0.0.1:9/hook' }] } } }) as Project;

/** A run whose alerts are due, as a process failing another's run marks it. */
function dueRun(): string {
  const run = fx.project.runs.create({ kind: 'materialize', view: 'origin_delays' });
  fx.project.runs.update(run.id, { status: 'failed', message: 'stopped before it finished' });
  fx.project.state.prepare('INSERT INTO alerts_due (run_id) VALUES (?)').run(run.id);
  return run.id;
}

it('taking the due alerts gives up once the stop signal aborts, leaving them due', async () => {
  const id = dueRun();
  const busyTimeout = fx.project.state.pragma('busy_timeout', { simple: true }) as number;
  expect(busyTimeout).toBeGreaterThanOrEqual(5000);
  const lock = await holdWriteLock(stateFile(), 60_000);
  try {
    const stop = new AbortController();
    const t0 = Date.now();
    const taking = takeProjectDueAlertsWhenFree(alerting(), { signal: stop.signal });
    setTimeout(() => stop.abort(), 300);
    expect(await taking).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(1500);
    // Already aborted: no wait at all.
    const t1 = Date.now();
    expect(await takeProjectDueAlertsWhenFree(alerting(), { signal: stop.signal })).toEqual([]);
    expect(Date.now() - t1).toBeLessThan(200);
    // sendDueAlerts under the signal, as a materialization started by a stopping server sends them.
    const t2 = Date.now();
    const live = new AbortController();
    const sending = sendDueAlerts(alerting(), { signal: live.signal });
    setTimeout(() => live.abort(), 300);
    await sending;
    expect(Date.now() - t2).toBeLessThan(1500);
  } finally {
    await lock.release();
  }
  // Left due: the next process (here, this one with the lock free and no stop) takes it.
  expect(await takeProjectDueAlertsWhenFree(alerting())).toContain(id);
}, 30_000);
