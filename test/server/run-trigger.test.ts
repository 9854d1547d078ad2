/**
 * Each run records what started it: the CLI, the SDK, an HTTP request (with the API key's id and name, never the
 * key) or the scheduler. A state database of an earlier version (no `trigger` column) keeps working.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { keyStoreFor } from '../../src/auth/keys.js';
import { createMaterializeJobs } from '../../src/server/materialize-jobs.js';
import { startMaterialization } from '../../src/materialize/materialize.js';
import { openRunStore } from '../../src/runs/run-store.js';
import { runCli } from '../cli/cli-io.js';
import { bearer, json, post, useAppFixture } from './fixture.js';

const t = useAppFixture();

describe('the trigger of a run', () => {
  it('over HTTP: the API key that started it, by id and name', async () => {
    const { key, info } = keyStoreFor(t.fx.project.state).create('admin', 'ci-bot');
    const res = await t.app.request('/v1/materialize', post({ views: ['origin_delays'], start: '2001-01-01T00:00:00Z', end: '2001-01-01T06:00:00Z' }, bearer(key)));
    expect(res.status).toBe(202);
    const started = await json(res);
    await json(await t.app.request(`/v1/materialize/${started.job_id}`, { headers: bearer(key) }));
    const runId = started.runs[0].run_id;
    for (let i = 0; i < 100 && t.fx.project.runs.get(runId).status === 'running'; i++) await new Promise((r) => setTimeout(r, 50));
    const run = t.fx.project.runs.get(runId);
    expect(run.trigger).toEqual({ source: 'api', key_id: info.id, key_name: 'ci-bot' });
    expect(JSON.stringify(run)).not.toContain(key);
    // The API answers it, as `runs show` does.
    const report = await json(await t.app.request(`/v1/runs/${runId}`, { headers: bearer(key) }));
    expect(report.run.trigger).toEqual({ source: 'api', key_id: info.id, key_name: 'ci-bot' });
    // And the run's review page.
    const page = await t.app.request(`/ui/runs/${runId}`, { headers: bearer(key) });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`api (key ci-bot, ${info.id})`);
    // A push (Feast's route too) and a dataset build over HTTP pass the request's trigger to the run they create.
    const pushed = await json(await t.app.request('/push', post({
      push_source_name: 'origin_delays', df: { origin: ['SEA'], event_timestamp: ['2001-01-02T00:00:00Z'], dep_delay: [1], flights: [1], carrier: ['UA'] }, to: 'online',
    }, bearer(key))));
    expect(t.fx.project.runs.get(pushed.run_id).trigger).toEqual({ source: 'api', key_id: info.id, key_name: 'ci-bot' });
    const built = await t.app.request('/v1/datasets', post({ features: ['origin_delays:dep_delay'], entities: { origin: ['SEA'], event_timestamp: ['2001-01-01T12:00:00Z'] }, format: 'json' }, bearer(key)));
    expect(built.status).toBe(200);
    await built.text();
    expect(t.fx.project.runs.get(built.headers.get('x-featureguard-run-id')!).trigger).toEqual({ source: 'api', key_id: info.id, key_name: 'ci-bot' });
    keyStoreFor(t.fx.project.state).revoke(info.id);
  });

  it('the scheduler, the SDK and the CLI', async () => {
    const jobs = createMaterializeJobs((o, trigger) => startMaterialization(t.fx.project, o, trigger));
    const { done } = await jobs.start({ views: ['origin_delays'], start: '2001-01-01T06:00:00Z', end: '2001-01-01T07:00:00Z' }, 'schedule');
    const scheduled = (await done).runs[0].run_id!;
    expect(t.fx.project.runs.get(scheduled).trigger).toEqual({ source: 'schedule' });

    const [sdk] = await (await import('../../src/materialize/materialize.js')).materialize(t.fx.project, { views: ['origin_delays'], start: '2001-01-01T07:00:00Z', end: '2001-01-01T08:00:00Z' });
    expect(sdk.run!.trigger).toEqual({ source: 'sdk' });

    const cli = await runCli(['--project', t.fx.dir, '--json', 'materialize', '--views', 'origin_delays', '--start', '2001-01-01T08:00:00Z', '--end', '2001-01-01T09:00:00Z']);
    expect(cli.code).toBe(0);
    const newest = t.fx.project.runs.list({ view: 'origin_delays', kind: 'materialize', limit: 1 }).runs[0];
    expect(newest.window_start).toBe('2001-01-01T08:00:00.000Z');
    expect(newest.trigger).toEqual({ source: 'cli' });
    const shown = await runCli(['--project', t.fx.dir, 'runs', 'show', newest.id]);
    expect(shown.out).toContain('started by cli');
  });

  it('a state database of an earlier version: its runs read with a null trigger, and new runs record one', () => {
    const db = new Database(':memory:');
    db.exec(`CREATE TABLE runs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, view TEXT, service TEXT, status TEXT NOT NULL, started_at TEXT NOT NULL,
      finished_at TEXT, window_start TEXT, window_end TEXT, rows_in INTEGER, rows_out INTEGER, message TEXT, counts TEXT NOT NULL, lineage TEXT, options TEXT)`);
    db.prepare("INSERT INTO runs (id, kind, status, started_at, counts) VALUES ('old', 'check', 'success', '2001-01-01T00:00:00.000Z', '{}')").run();
    const runs = openRunStore(db);
    expect(runs.get('old').trigger).toBeNull();
    const run = runs.create({ kind: 'check', view: 'v' });
    expect(runs.update(run.id, { status: 'success' }).trigger).toEqual({ source: 'sdk' });
    db.close();
  });
});
