/**
 * The catch-up of `serve`: a slot passed while no scheduler ran is run once at start, once serving, unless a
 * successful materialization reaches it, a run of the view is under way, or the next slot comes sooner.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { pino } from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ConflictError } from '../../src/errors.js';
import { startMaterialization } from '../../src/materialize/materialize.js';
import type { MaterializeResult } from '../../src/materialize/types.js';
import { startScheduler } from '../../src/scheduler/scheduler.js';
import { createMaterializeJobs } from '../../src/server/materialize-jobs.js';
import { startServer } from '../../src/server/serve.js';
import { createFixture, type Fixture } from './fixture.js';
import { catchUpOptions } from './scheduler-catch-up.js';

let fx: Fixture;
beforeEach(async () => {
  fx = await createFixture();
});
afterEach(async () => {
  await fx.close();
});

function applySchedule(schedule: string): void {
  const s = fx.project.registry.current();
  fx.project.registry.apply([...s.entities.values(), ...s.sources.values(), { ...s.views.get('origin_delays')!, schedule }, ...s.services.values()]);
}

/** A daily schedule whose slot was `ago` ms before now. */
function dailySlot(ago: number): string {
  const slot = new Date(Date.now() - ago);
  return `${slot.getUTCSeconds()} ${slot.getUTCMinutes()} ${slot.getUTCHours()} * * *`;
}

const materializations = () => fx.project.runs.list({ view: 'origin_delays', kind: 'materialize' }).runs;
const silent = pino({ level: 'silent' });

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 50));
}

it('runs the slot again when the run started for it was killed (a review finding: a crashed serve waited a period)', async () => {
  applySchedule(dailySlot(3000));
  // The slot's run, started by a process killed since (kill -9 mid-run).
  const crashed = fx.project.runs.create({ kind: 'materialize', view: 'origin_delays', options: { incremental: true } });
  fx.project.state.prepare('UPDATE run_owners SET pid = ? WHERE run_id = ?').run(spawnSync(process.execPath, ['-e', '0']).pid, crashed.id);
  const server = await startServer(fx.project, { port: 0, quiet: true, logger: silent });
  try {
    await until(() => materializations().some((r) => r.status === 'success' || r.status === 'warned'));
    expect(fx.project.runs.get(crashed.id).status).toBe('failed');
    expect(materializations().map((r) => r.status)).toEqual([expect.stringMatching(/^(success|warned)$/), 'failed']);
  } finally {
    await server.close();
  }
});

it('runs the slot again after a failed run or a backfill of an older window, not after a run that covers it', async () => {
  applySchedule(dailySlot(3000));
  const jobs = createMaterializeJobs((o) => startMaterialization(fx.project, o));
  const failed = fx.project.runs.create({ kind: 'materialize', view: 'origin_delays', options: { incremental: true } });
  fx.project.runs.update(failed.id, { status: 'failed', finished_at: new Date().toISOString(), message: 'the online store was down' });
  await (await startMaterialization(fx.project, { views: ['origin_delays'], start: '2001-01-01', end: '2001-01-02' })).done;
  const scheduler = startScheduler(fx.project.registry, jobs, { ...catchUpOptions(fx), pollMs: 100_000 });
  try {
    expect(await scheduler.catchUp()).toEqual(['origin_delays']);
    await until(() => ['done', 'failed'].includes(scheduler.list()[0].last_run?.status ?? ''));
    expect(scheduler.list()[0].last_run).toMatchObject({ status: 'done' });
    // Now a successful materialization reaches the slot.
    expect(await scheduler.catchUp()).toEqual([]);
  } finally {
    await scheduler.stop();
    await jobs.idle();
  }
});

it('leaves the slot to a run of the view under way (another replica)', async () => {
  applySchedule(dailySlot(3000));
  const jobs = createMaterializeJobs((o) => startMaterialization(fx.project, o));
  fx.project.runs.create({ kind: 'materialize', view: 'origin_delays', options: { incremental: true } }); // running, this process's
  const scheduler = startScheduler(fx.project.registry, jobs, { ...catchUpOptions(fx), pollMs: 100_000 });
  try {
    expect(await scheduler.catchUp()).toEqual([]);
  } finally {
    await scheduler.stop();
  }
  expect(jobs.list()).toEqual([]);
});

it('leaves a missed slot to the next one when that comes sooner than the slot is late (a review finding: the next run had an empty window)', async () => {
  // Each minute at two seconds: one 7 s ago, the next in 3 s.
  const now = Date.now();
  const second = (ms: number) => new Date(now + ms).getUTCSeconds();
  applySchedule(`${second(-7000)},${second(3000)} * * * * *`);
  const jobs = createMaterializeJobs((o) => startMaterialization(fx.project, o));
  const logged: string[] = [];
  const scheduler = startScheduler(fx.project.registry, jobs, { ...catchUpOptions(fx), pollMs: 100_000, log: (m) => logged.push(m) });
  try {
    expect(await scheduler.catchUp()).toEqual([]);
    expect(logged).toContain('slot passed while stopped left to the next one');
  } finally {
    await scheduler.stop();
    await jobs.idle();
  }
  // The other way round (7 s ago is late by less than the next slot is away) it runs.
  applySchedule(`${second(-3000)},${second(7000)} * * * * *`);
  const again = startScheduler(fx.project.registry, jobs, { ...catchUpOptions(fx), pollMs: 100_000 });
  try {
    expect(await again.catchUp()).toEqual(['origin_delays']);
  } finally {
    await again.stop();
    await jobs.idle();
  }
});

it('a serve that cannot listen materializes nothing (a review finding: it ran the catch-up first)', async () => {
  applySchedule(dailySlot(3000));
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  const port = (taken.address() as { port: number }).port;
  try {
    const err = await startServer(fx.project, { port, quiet: true, logger: silent }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'listen_failed' });
    expect(materializations()).toEqual([]);
  } finally {
    await new Promise((r) => taken.close(r));
  }
});

it('a slot that comes while the catch-up run is under way waits for it, not recorded skipped against this process (a review finding)', async () => {
  // The slot 2 s ago is caught up at once; the next, in 4 s, comes while that run still goes on.
  const now = Date.now();
  const second = (ms: number) => new Date(now + ms).getUTCSeconds();
  applySchedule(`${second(-2000)},${second(4000)} * * * * *`);
  let release: () => void = () => undefined;
  let starts = 0;
  let running = false;
  // A run that lasts until released, holding the view as a lease does: a second start while it runs is a 409.
  const jobs = createMaterializeJobs(async (o) => {
    starts++;
    if (running) throw new ConflictError("feature view 'origin_delays' is already being materialized (this process)");
    running = true;
    const window = { start: '2001-01-01T00:00:00.000Z', end: '2001-01-02T00:00:00.000Z' };
    const done = new Promise<MaterializeResult[]>((resolve) => {
      release = () => {
        running = false;
        resolve([{ view: 'origin_delays', run: null, status: 'success', window, rowsRead: 0, entitiesWritten: 0, message: null } as unknown as MaterializeResult]);
      };
    });
    return { runs: [{ view: o.views![0], runId: 'r1', status: 'running', window }], done };
  });
  const logged: string[] = [];
  const scheduler = startScheduler(fx.project.registry, jobs, { ...catchUpOptions(fx), pollMs: 100_000, log: (m) => logged.push(m) });
  try {
    expect(await scheduler.catchUp()).toEqual(['origin_delays']);
    // Before: the slot started the view again, met the run's lease and recorded `skipped`.
    await until(() => starts > 1 || logged.includes('scheduled slot left to the run of the view under way in this process'));
    expect(scheduler.list()[0].last_run).toMatchObject({ status: 'running' });
    expect(starts).toBe(1);
    expect(logged).toContain('scheduled slot left to the run of the view under way in this process');
    release();
    await until(() => scheduler.list()[0].last_run?.status === 'done');
    expect(scheduler.list()[0].last_run).toMatchObject({ status: 'done' });
  } finally {
    release();
    await scheduler.stop();
    await jobs.idle();
  }
});
