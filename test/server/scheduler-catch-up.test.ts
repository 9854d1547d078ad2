/**
 * The catch-up of `serve`: a slot passed while no scheduler ran is run once at start, once serving, unless a
 * successful materialization reaches it, a run of the view is under way, or the next slot comes sooner.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { pino } from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startMaterialization } from '../../src/materialize/materialize.js';
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
