/**
 * `GET /v1/schedules` shows, beside the scheduler's own `last_run` (a slot skipped because a CLI run held the
 * lease), the view's newest materialization in the quality log as `latest_run`, whoever ran it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { acquireLeases } from '../../src/materialize/lease.js';
import { startMaterialization } from '../../src/materialize/materialize.js';
import { startScheduler } from '../../src/scheduler/scheduler.js';
import { createApp } from '../../src/server/app.js';
import { createMaterializeJobs } from '../../src/server/materialize-jobs.js';
import { createFixture, json, type Fixture } from './fixture.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await createFixture();
});
afterAll(async () => {
  await fx?.close();
});

function applySchedule(schedule: string): void {
  const s = fx.project.registry.current();
  const view = { ...s.views.get('origin_delays')!, schedule };
  fx.project.registry.apply([...s.entities.values(), ...s.sources.values(), view, ...s.services.values()]);
}

it('adds latest_run, the newest materialization of the view from the quality log, beside the scheduler\'s last_run', async () => {
  applySchedule('* * * * * *'); // every second
  const jobs = createMaterializeJobs((o, trigger) => startMaterialization(fx.project, o, trigger));
  const scheduler = startScheduler(fx.project.registry, jobs, { pollMs: 100 });
  const app = createApp(fx.project, { scheduler, jobs });
  try {
    // Another process holds the view's lease: the scheduler's slot is skipped.
    const leases = acquireLeases(fx.project.state, ['origin_delays'], 'cli-run');
    try {
      for (let i = 0; i < 60 && scheduler.list()[0].last_run?.status !== 'skipped'; i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      for (const l of leases) l.release();
    }
    applySchedule('0 4 * * *'); // no more slots during the test
    scheduler.sync();
    await jobs.idle();
    let out = '';
    const code = await main(['--project', fx.dir, '--json', 'materialize', '--views', 'origin_delays', '--start', '2001-01-01', '--end', '2001-01-02'], { out: (s) => (out += s), err: () => undefined, isTty: false });
    expect(code).toBe(0);
    const runId = JSON.parse(out)[0].run.id as string;

    const body = await json(await app.request('/v1/schedules'));
    const [schedule] = body.schedules;
    expect(schedule.last_run).toMatchObject({ source: 'scheduler', status: 'skipped' });
    const run = fx.project.runs.get(runId);
    expect(run.trigger).toEqual({ source: 'cli' });
    expect(schedule.latest_run).toEqual({ id: runId, status: 'success', started_at: run.started_at, finished_at: run.finished_at, trigger: { source: 'cli' } });
  } finally {
    await scheduler.stop();
    await jobs.idle();
  }
});

it('shows latest_run null for a view never materialized, with the scheduler off too', async () => {
  const fresh = await createFixture();
  try {
    const body = await json(await createApp(fresh.project).request('/v1/schedules'));
    expect(body.schedules).toEqual([expect.objectContaining({ view: 'origin_delays', last_run: null, latest_run: null })]);
  } finally {
    await fresh.close();
  }
});
