/**
 * The scheduler on a real project: a view scheduled every second runs
 * incremental materializations; the listing shows next and last runs; a
 * schedule removed from the registry stops. After a restart the last run comes
 * from the quality log.
 */
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startMaterialization } from '../../src/materialize/materialize.js';
import { startScheduler } from '../../src/scheduler/scheduler.js';
import { createApp } from '../../src/server/app.js';
import { createMaterializeJobs } from '../../src/server/materialize-jobs.js';
import { catchUpOptions } from './scheduler-catch-up.js';
import { createFixture, json, type Fixture } from './fixture.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await createFixture();
});
afterAll(async () => {
  await fx?.close();
});

function applySchedule(schedule: string | undefined): void {
  const s = fx.project.registry.current();
  const v = s.views.get('origin_delays')!;
  const { schedule: _old, ...rest } = v;
  const view = schedule === undefined ? rest : { ...rest, schedule };
  fx.project.registry.apply([...s.entities.values(), ...s.sources.values(), view, ...s.services.values()]);
}

it('runs each view schedule as an incremental materialization and follows the registry', async () => {
  applySchedule('* * * * * *'); // every second (node-cron's optional seconds field)
  const jobs = createMaterializeJobs((o) => startMaterialization(fx.project, o));
  const scheduler = startScheduler(fx.project.registry, jobs, { pollMs: 100 });
  try {
    let info = scheduler.list();
    expect(info).toHaveLength(1);
    expect(info[0]).toMatchObject({ view: 'origin_delays', cron: '* * * * * *', active: true, error: null });
    expect(Date.parse(info[0].next_run!) - Date.now()).toBeLessThanOrEqual(1000);
    for (let i = 0; i < 100 && !['done', 'failed'].includes(scheduler.list()[0].last_run?.status ?? ''); i++) await new Promise((r) => setTimeout(r, 50));
    info = scheduler.list();
    expect(info[0].last_run, JSON.stringify(info[0])).toMatchObject({ status: 'done', job_id: expect.any(String) });
    const runs = fx.project.runs.list({ kind: 'materialize', view: 'origin_delays' });
    expect(runs.total).toBeGreaterThanOrEqual(1);
    expect(runs.runs[0].options).toMatchObject({ incremental: true });
    expect(jobs.list()[0].trigger).toBe('schedule');

    applySchedule('0 4 * * *');
    await new Promise((r) => setTimeout(r, 300));
    info = scheduler.list();
    expect(info.map((x) => x.cron)).toEqual(['0 4 * * *']);
    expect(new Date(info[0].next_run!).getUTCHours()).toBe(4);

    applySchedule('not a cron');
    scheduler.sync();
    expect(scheduler.list()[0]).toMatchObject({ active: false, error: expect.stringMatching(/not a valid cron expression/) });
    applySchedule(undefined);
    scheduler.sync();
    expect(scheduler.list()).toEqual([]);
  } finally {
    await scheduler.stop();
    await jobs.idle();
  }
});

it('shows a scheduled job whose run failed as failed, not done', async () => {
  const file = join(fx.dir, 'data', 'delays', 'part-0.parquet');
  renameSync(file, `${file}.away`);
  applySchedule('* * * * * *');
  const jobs = createMaterializeJobs((o) => startMaterialization(fx.project, o));
  const logged: { msg: string; fields?: Record<string, unknown>; level?: string }[] = [];
  const scheduler = startScheduler(fx.project.registry, jobs, { pollMs: 100, log: (msg, fields, level) => logged.push({ msg, fields, level }) });
  try {
    for (let i = 0; i < 100 && !['done', 'failed'].includes(scheduler.list()[0].last_run?.status ?? ''); i++) await new Promise((r) => setTimeout(r, 50));
    const last = scheduler.list()[0].last_run!;
    expect(last).toMatchObject({ source: 'scheduler', status: 'failed', runs: [{ status: 'failed' }], message: expect.stringMatching(/could not read its source/) });
    // The same job over HTTP, and the log: failed, at error level (a review finding: 'done', logged 'finished' at info).
    const res = await createApp(fx.project, { jobs }).request(`/v1/materialize/${last.job_id}`);
    expect(await json(res)).toMatchObject({ status: 'failed', runs: [{ status: 'failed' }] });
    expect(logged.find((l) => l.fields?.view === 'origin_delays' && l.msg !== 'scheduled view')).toMatchObject({
      msg: 'scheduled materialization failed', level: 'error', fields: { status: 'failed', runs: [{ status: 'failed' }] },
    });
  } finally {
    await scheduler.stop();
    await jobs.idle();
    renameSync(`${file}.away`, file);
    applySchedule('0 4 * * *');
  }
});

it('after a restart, GET /v1/schedules takes the last run from the quality log until the schedule fires', async () => {
  applySchedule('0 4 * * *'); // not during the test
  const jobs = createMaterializeJobs((o) => startMaterialization(fx.project, o));
  // A fresh scheduler knows no runs; the materialization below ran in another process.
  const scheduler = startScheduler(fx.project.registry, jobs, { pollMs: 100 });
  try {
    const [result] = await (await startMaterialization(fx.project, { views: ['origin_delays'], start: '2001-01-01', end: '2001-01-02' })).done;
    expect(scheduler.list()[0].last_run).toBeNull();
    const app = createApp(fx.project, { scheduler, jobs });
    const body = await json(await app.request('/v1/schedules'));
    expect(body.scheduler).toBe('running');
    expect(body.schedules).toHaveLength(1);
    expect(body.schedules[0]).toMatchObject({ view: 'origin_delays', cron: '0 4 * * *', active: true });
    const run = fx.project.runs.get(result.run!.id);
    expect(body.schedules[0].last_run).toEqual({
      source: 'quality_log', started_at: run.started_at, finished_at: run.finished_at, status: 'done', job_id: null,
      runs: [{ id: run.id, status: run.status }], message: run.message,
    });
  } finally {
    await scheduler.stop();
    await jobs.idle();
  }
});

it('GET /v1/schedules shows last_run null for a view never materialized', async () => {
  const fresh = await createFixture();
  try {
    const body = await json(await createApp(fresh.project).request('/v1/schedules'));
    expect(body.schedules).toEqual([expect.objectContaining({ view: 'origin_delays', last_run: null })]);
  } finally {
    await fresh.close();
  }
});

it('runs a slot the process reached late (a stalled event loop) instead of dropping it', async () => {
  applySchedule('*/5 * * * * *'); // every 5 seconds
  const jobs = createMaterializeJobs((o) => startMaterialization(fx.project, o));
  const lines: string[] = [];
  const scheduler = startScheduler(fx.project.registry, jobs, { pollMs: 100, log: (m) => lines.push(m) });
  try {
    const slot = Date.parse(scheduler.list()[0].next_run!);
    // Stall from just before the slot to 2 s after it (node-cron's own tolerance is 1 s).
    await new Promise((r) => setTimeout(r, Math.max(0, slot - Date.now() - 200)));
    const until = slot + 2000;
    while (Date.now() < until) {
      // busy: the event loop is blocked, as by a long synchronous step
    }
    for (let i = 0; i < 40 && scheduler.list()[0].last_run === null; i++) await new Promise((r) => setTimeout(r, 50));
    const last = scheduler.list()[0].last_run;
    // Run for the late slot, within about 2 s of the stall's end, not the next slot 3 s later.
    expect(last, lines.join('\n')).not.toBeNull();
    expect(Date.parse(last!.started_at)).toBeLessThan(slot + 4000);
    expect(last!.status).not.toBe('missed');
  } finally {
    applySchedule(undefined);
    await scheduler.stop();
    await jobs.idle();
  }
}, 20_000);

it('lists the run ids of a scheduled materialization while it is still going', async () => {
  applySchedule('* * * * * *');
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  // The real materialization, held back from finishing until the listing was read.
  const jobs = createMaterializeJobs(async (o) => {
    const handle = await startMaterialization(fx.project, o);
    return { ...handle, done: gate.then(() => handle.done) };
  });
  const before = new Date().toISOString();
  const scheduler = startScheduler(fx.project.registry, jobs, { pollMs: 100 });
  try {
    // Running from its slot; its job id once the job has started.
    for (let i = 0; i < 60 && !scheduler.list()[0]?.last_run?.job_id; i++) await new Promise((r) => setTimeout(r, 50));
    const last = scheduler.list()[0].last_run!;
    expect(last).toMatchObject({ status: 'running', job_id: expect.any(String) });
    // The run this job started (its own write may have ended already: the job waits at the gate).
    const started = fx.project.runs.list({ kind: 'materialize', view: 'origin_delays' }).runs.filter((r) => r.started_at >= before);
    expect(started).toHaveLength(1);
    expect(last.runs).toEqual([{ id: started[0].id, status: 'running' }]);
  } finally {
    applySchedule(undefined);
    open();
    await scheduler.stop();
    await jobs.idle();
  }
});

it('stop waits for a fire still working out its window, and shows it running from its slot (a review finding: a SIGTERM then closed the state under it)', async () => {
  applySchedule('* * * * * *');
  let releaseStart!: () => void;
  const startHeld = new Promise<void>((r) => (releaseStart = r));
  let slotReached!: () => void;
  const reached = new Promise<void>((r) => (slotReached = r));
  // A start that takes its time (the first run of a ttl-0 view scans its whole source for the earliest row).
  const jobs = createMaterializeJobs(async (o) => {
    slotReached();
    await startHeld;
    return startMaterialization(fx.project, o);
  });
  const scheduler = startScheduler(fx.project.registry, jobs, { pollMs: 100 });
  await reached;
  expect(scheduler.list()[0].last_run).toMatchObject({ status: 'running', job_id: null });
  let stopped = false;
  const stopping = scheduler.stop().then(() => (stopped = true));
  await new Promise((r) => setTimeout(r, 200));
  expect(stopped).toBe(false);
  releaseStart();
  await stopping;
  // The job had started and finished by the time stop resolved: nothing left to run on a closed project.
  expect(jobs.list()[0]).toMatchObject({ trigger: 'schedule', status: expect.stringMatching(/^(done|failed)$/) });
  applySchedule('0 4 * * *');
});

it('a cron that never fires (node-cron validates it, then throws on schedule) is an entry with its error; the other views are still scheduled (a review finding)', async () => {
  const never = '0 0 1 * 1#2'; // the 1st that is also the second Monday
  const applyBoth = (first: string, second: string) => {
    const s = fx.project.registry.current();
    const v = s.views.get('origin_delays')!;
    fx.project.registry.apply([...s.entities.values(), ...s.sources.values(), { ...v, schedule: first }, { ...v, name: 'origin_delays_v2', schedule: second }, ...s.services.values()]);
  };
  applyBoth(never, '0 4 * * *');
  const jobs = createMaterializeJobs((o) => startMaterialization(fx.project, o));
  const warnings: string[] = [];
  const scheduler = startScheduler(fx.project.registry, jobs, { pollMs: 100_000, log: (m, _f, level) => level === 'warn' && warnings.push(m) });
  try {
    const bad = { view: 'origin_delays', cron: never, active: false, next_run: null, error: expect.stringContaining(`'${never}' never fires`) };
    expect(scheduler.list()).toMatchObject([bad, { view: 'origin_delays_v2', active: true, error: null }]);
    expect(warnings).toEqual(['schedule not run']);
    // An apply that changes both: the valid change is scheduled although the other one cannot be.
    applyBoth(never, '0 5 * * *');
    applyBoth('0 3 * * *', never);
    scheduler.sync();
    expect(scheduler.list()).toMatchObject([{ view: 'origin_delays', active: true, error: null }, { ...bad, view: 'origin_delays_v2' }]);
    // Without a scheduler (serve --no-scheduler), the listing shows the problem instead of a 500.
    const res = await createApp(fx.project, { jobs }).request('/v1/schedules');
    expect(res.status).toBe(200);
    expect((await json(res)).schedules).toMatchObject([{ view: 'origin_delays', next_run: expect.any(String), error: null }, { ...bad, view: 'origin_delays_v2' }]);
  } finally {
    await scheduler.stop();
    await jobs.idle();
    applySchedule('0 4 * * *');
    const s = fx.project.registry.current();
    fx.project.registry.apply([...s.entities.values(), ...s.sources.values(), s.views.get('origin_delays')!, ...s.services.values()]);
  }
});

it('at start, runs once a slot that passed while no scheduler ran, unless a materialization covers it (a review finding: a daily view restarted after its hour waited a day)', async () => {
  const fresh = await createFixture();
  const slot = new Date(Date.now() - 3000);
  const daily = `${slot.getUTCSeconds()} ${slot.getUTCMinutes()} ${slot.getUTCHours()} * * *`; // today, 3 s ago
  const s = fresh.project.registry.current();
  fresh.project.registry.apply([...s.entities.values(), ...s.sources.values(), { ...s.views.get('origin_delays')!, schedule: daily }, ...s.services.values()]);
  const jobs = createMaterializeJobs((o) => startMaterialization(fresh.project, o));
  try {
    const logged: string[] = [];
    const first = startScheduler(fresh.project.registry, jobs, { ...catchUpOptions(fresh), pollMs: 100_000, log: (m) => logged.push(m) });
    try {
      expect(await first.catchUp()).toEqual(['origin_delays']);
      for (let i = 0; i < 100 && !['done', 'failed'].includes(first.list()[0].last_run?.status ?? ''); i++) await new Promise((r) => setTimeout(r, 50));
      expect(first.list()[0].last_run, logged.join('\n')).toMatchObject({ source: 'scheduler', status: 'done' });
      expect(logged).toContain('scheduled materialization of a slot passed while stopped');
      expect(jobs.list()).toMatchObject([{ trigger: 'schedule' }]);
    } finally {
      await first.stop();
    }
    // Restarted again: the slot's run exists, nothing more runs.
    const second = startScheduler(fresh.project.registry, jobs, { ...catchUpOptions(fresh), pollMs: 100_000 });
    expect(await second.catchUp()).toEqual([]);
    await new Promise((r) => setTimeout(r, 300));
    await second.stop();
    expect(jobs.list()).toHaveLength(1);
    expect(fresh.project.runs.list({ view: 'origin_delays', kind: 'materialize' }).total).toBe(1);
  } finally {
    await jobs.idle();
    await fresh.close();
  }
});
