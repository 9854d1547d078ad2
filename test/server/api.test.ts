/**
 * The HTTP API end to end on a real project (SQLite state and online store,
 * DuckDB over Parquet files): each route's happy path.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { tableFromIPC } from 'apache-arrow';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLeases } from '../../src/materialize/lease.js';
import { openOfflineEngine } from '../../src/offline/engine.js';
import { createApp, type FeatureguardApp } from '../../src/server/app.js';
import { createFixture, json, post, useAppFixture } from './fixture.js';

const t = useAppFixture();


async function materializeAndWait(body: unknown): Promise<any> {
  const res = await t.app.request('/v1/materialize', post(body));
  const started = await json(res);
  expect(res.status, JSON.stringify(started)).toBe(202);
  // The start names the job as its own answers do (`id`), and as earlier versions did (`job_id`).
  expect(started.job_id).toBe(started.id);
  for (let i = 0; i < 200; i++) {
    const job = await json(await t.app.request(`/v1/materialize/${started.id}`));
    expect(job.id).toBe(started.id);
    if (job.status !== 'running') return { started, job };
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('materialization did not finish');
}

describe('materialize and online features', () => {
  it('POST /v1/materialize answers 202 with a job and run ids; the job finishes', async () => {
    const { started, job } = await materializeAndWait({ start: '2001-01-01T00:00:00Z', end: '2001-01-02T00:00:00Z' });
    expect(started.runs).toHaveLength(1);
    expect(started.runs[0]).toMatchObject({ view: 'origin_delays', status: 'running' });
    expect(started.runs[0].run_id).toMatch(/[0-9a-f-]{36}/);
    expect(job.status).toBe('done');
    expect(job.runs[0]).toMatchObject({ view: 'origin_delays', run_id: started.runs[0].run_id, status: 'success', entities_written: 3, rows_read: 72 });
    const run = await json(await t.app.request(`/v1/runs/${started.runs[0].run_id}`));
    expect(run.run).toMatchObject({ kind: 'materialize', view: 'origin_delays', status: 'success' });
    expect(Array.isArray(run.results)).toBe(true);
  });

  it('answers 409 while the view is materializing (lease held by another process)', async () => {
    const leases = acquireLeases(t.fx.project.state, ['origin_delays'], 'other-process-run');
    try {
      const res = await t.app.request('/v1/materialize', post({ views: ['origin_delays'], incremental: true }));
      const body = await json(res);
      expect(res.status).toBe(409);
      expect(body.error.code).toBe('materialization_running');
    } finally {
      for (const l of leases) l.release();
    }
    const res = await t.app.request('/v1/materialize', post({ views: ['origin_delays'], start: '2001-01-01T00:00:00Z', end: '2001-01-02T00:00:00Z' }));
    expect(res.status).toBe(202);
    const { job_id } = await json(res);
    for (let i = 0; i < 200 && (await json(await t.app.request(`/v1/materialize/${job_id}`))).status === 'running'; i++) await new Promise((r) => setTimeout(r, 25));
  });

  it('takes date-only and other ISO 8601 times as the CLI does (date = midnight UTC)', async () => {
    const { started, job } = await materializeAndWait({ views: ['origin_delays'], start: '2001-01-01', end: '2001-01-02' });
    expect(started.runs[0].window).toEqual({ start: '2001-01-01T00:00:00.000Z', end: '2001-01-02T00:00:00.000Z' });
    expect(job.runs[0]).toMatchObject({ status: 'success', rows_read: 72 });
    const zoned = await materializeAndWait({ views: ['origin_delays'], start: '2001-01-01 06:00', end: '2001-01-01T12:00:00+02:00' });
    expect(zoned.started.runs[0].window).toEqual({ start: '2001-01-01T06:00:00.000Z', end: '2001-01-01T10:00:00.000Z' });
    for (const start of ['monday', '01/01/2001', '2001-01-01T25']) {
      const res = await t.app.request('/v1/materialize', post({ views: ['origin_delays'], start }));
      const body = await json(res);
      expect(res.status, start).toBe(400);
      expect(body.error.message).toMatch(/\/start/);
    }
    const impossible = await t.app.request('/v1/materialize', post({ views: ['origin_delays'], start: '2001-13-45' }));
    expect(impossible.status).toBe(400);
    expect((await json(impossible)).error.message).toMatch(/invalid start '2001-13-45'/);
  });

  it('serves the exact Feast get-online-features response shape', async () => {
    const request = { features: ['origin_delays:dep_delay', 'origin_delays:flights'], entities: { origin: ['SEA', 'JFK', 'LAX'] }, full_feature_names: false };
    for (const path of ['/v1/online-features', '/get-online-features']) {
      const res = await t.app.request(path, post(request));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      const body = await json(res);
      expect(body).toEqual({
        metadata: { feature_names: ['origin', 'dep_delay', 'flights'] },
        results: [
          { values: ['SEA', 'JFK', 'LAX'], statuses: ['PRESENT', 'PRESENT', 'PRESENT'], event_timestamps: ['1970-01-01T00:00:00Z', '1970-01-01T00:00:00Z', '1970-01-01T00:00:00Z'] },
          { values: [23, 223, null], statuses: ['PRESENT', 'PRESENT', 'NOT_FOUND'], event_timestamps: ['2001-01-01T23:00:00Z', '2001-01-01T23:00:00Z', '1970-01-01T00:00:00Z'] },
          { values: [23, 23, null], statuses: ['PRESENT', 'PRESENT', 'NOT_FOUND'], event_timestamps: ['2001-01-01T23:00:00Z', '2001-01-01T23:00:00Z', '1970-01-01T00:00:00Z'] },
        ],
      });
    }
  });

  it('refuses features together with feature_service with a clear 400', async () => {
    // Feast's path reads the service, as Feast's server does (feast-client.test.ts).
    for (const path of ['/v1/online-features']) {
      const res = await t.app.request(path, post({ features: ['origin_delays:dep_delay'], feature_service: 'delay_service', entities: { origin: ['SEA'] } }));
      const body = await json(res);
      expect(res.status).toBe(400);
      expect(body.error).toMatchObject({ code: 'invalid_request', message: "invalid request body: give 'features' or 'feature_service', not both" });
      expect(body.error.message).not.toMatch(/must NOT be valid/);
    }
    // Neither is still refused by the schema.
    const neither = await t.app.request('/v1/online-features', post({ entities: { origin: ['SEA'] } }));
    expect(neither.status).toBe(400);
    expect((await json(neither)).error.message).toBe("invalid request body: must have one of the properties 'features' or 'feature_service'");
  });

  it('reads a feature service with full feature names', async () => {
    const body = await json(await t.app.request('/v1/online-features', post({ feature_service: 'delay_service', entities: { origin: ['SFO'] }, full_feature_names: true })));
    expect(body.metadata.feature_names).toEqual(['origin', 'origin_delays__dep_delay', 'origin_delays__flights', 'origin_delays__carrier']);
    expect(body.results.map((r: any) => r.values[0])).toEqual(['SFO', 123, 23, 'AA']);
  });
});

describe('push', () => {
  it('writes to the online store monotonically and records a push run', async () => {
    const res = await t.app.request('/v1/push', post({
      view: 'origin_delays',
      rows: [{ origin: 'SEA', event_timestamp: '2001-01-02T00:00:00Z', dep_delay: 999.5, flights: 7, carrier: 'UA' }],
    }));
    const result = await json(res);
    expect(res.status, JSON.stringify(result)).toBe(200);
    expect(result).toMatchObject({ view: 'origin_delays', to: 'online', rows: 1, written: 1, skipped: 0, file: null });
    expect(['success', 'warned']).toContain(result.status);
    const older = await json(await t.app.request('/push', post({
      push_source_name: 'origin_delays',
      df: { origin: ['SEA'], event_timestamp: ['2000-12-31T00:00:00Z'], dep_delay: [-1], flights: [1], carrier: [null] },
      to: 'online',
    })));
    expect(older).toMatchObject({ written: 0, skipped: 1 });
    const read = await json(await t.app.request('/v1/online-features', post({ features: ['origin_delays'], entities: { origin: ['SEA'] } })));
    expect(read.results.map((r: any) => r.values[0])).toEqual(['SEA', 999.5, 7, 'UA']);
    expect(read.results[1].event_timestamps[0]).toBe('2001-01-02T00:00:00Z');
    const runs = await json(await t.app.request('/v1/runs?kind=push&view=origin_delays'));
    expect(runs.total).toBe(2);
    expect(runs.runs.map((r: any) => r.id)).toContain(result.run_id);
  });

  it('appends a Parquet file the source glob picks up (offline)', async () => {
    const res = await t.app.request('/v1/push', post({
      view: 'origin_delays',
      rows: [
        { origin: 'BOS', event_timestamp: '2001-01-03T00:00:00Z', dep_delay: 5, flights: 2, carrier: 'B6' },
        { origin: 'BOS', event_timestamp: '2001-01-03T01:00:00Z', dep_delay: 6, flights: 3, carrier: null },
      ],
      to: 'offline',
    }));
    const result = await json(res);
    expect(res.status, JSON.stringify(result)).toBe(200);
    expect(result.file).toMatch(/data\/delays\/push-.*\.parquet$/);
    expect(readdirSync(join(t.fx.dir, 'data', 'delays')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const engine = await openOfflineEngine();
    const rows = await engine.all(`SELECT origin, dep_delay, carrier FROM read_parquet('${join(t.fx.dir, 'data/delays/*.parquet')}') WHERE origin = 'BOS' ORDER BY event_timestamp`);
    expect(rows).toEqual([{ origin: 'BOS', dep_delay: 5, carrier: 'B6' }, { origin: 'BOS', dep_delay: 6, carrier: null }]);
    // Nothing online yet; a materialization of that window brings it.
    const { job } = await materializeAndWait({ views: ['origin_delays'], start: '2001-01-03T00:00:00Z', end: '2001-01-04T00:00:00Z' });
    expect(job.runs[0], JSON.stringify(job)).toMatchObject({ rows_read: 2, entities_written: 1 });
    expect(['success', 'warned']).toContain(job.runs[0].status);
    const read = await json(await t.app.request('/v1/online-features', post({ features: ['origin_delays:dep_delay'], entities: { origin: ['BOS'] } })));
    expect(read.results[1].values).toEqual([6]);
  });

  it('rejects rows that do not match the view, naming row and column', async () => {
    const res = await t.app.request('/v1/push', post({
      view: 'origin_delays',
      rows: [
        { origin: 'SEA', event_timestamp: '2001-01-02T00:00:00Z', dep_delay: 1, flights: 1, carrier: 'AA' },
        { origin: 'SEA', event_timestamp: 'yesterday', dep_delay: 'late', flights: 1.5, carrier: 'AA', extra: 1 },
        { event_timestamp: '2001-01-02T00:00:00Z', dep_delay: 1, flights: 1 },
      ],
    }));
    const body = await json(res);
    expect(res.status).toBe(400);
    expect(body.error.code).toBe('invalid_rows');
    const problems = body.error.details.problems.map((p: any) => `${p.path}: ${p.message}`);
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^\/1\/event_timestamp: must be an ISO 8601 time, e.g. 2026-11-12T10:00:00Z, got 'yesterday'$/),
      expect.stringMatching(/^\/1\/dep_delay: must be number/),
      expect.stringMatching(/^\/1\/flights: must be an integer or a string of digits \(int64\)$/),
      expect.stringMatching(/^\/1: unknown property 'extra'/),
      expect.stringMatching(/^\/2: must have required property 'origin'/),
    ]));
    expect(problems.some((p: string) => p.startsWith('/0'))).toBe(false);
  });

  it('refuses an offline push to a single-file source with a clear 400', async () => {
    const other = await createFixture();
    try {
      const defs = [...other.project.registry.current().sources.values()].map((s) => ({ ...s, path: 'data/delays/part-0.parquet' }));
      other.project.registry.apply([...other.project.registry.current().entities.values(), ...defs, ...other.project.registry.current().views.values(), ...other.project.registry.current().services.values()]);
      const res = await createApp(other.project).request('/v1/push', post({
        view: 'origin_delays', to: 'both',
        rows: [{ origin: 'SEA', event_timestamp: '2001-01-02T00:00:00Z', dep_delay: 1, flights: 1, carrier: 'AA' }],
      }));
      const body = await json(res);
      expect(res.status).toBe(400);
      expect(body.error.code).toBe('offline_push_unsupported');
      expect(body.error.message).toMatch(/single file/);
      expect(other.project.runs.list({ kind: 'push' }).total).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('a push the guards block answers 422 and writes nothing', async () => {
    const res = await t.app.request('/v1/push', post({
      view: 'origin_delays',
      rows: [{ origin: 'JFK', event_timestamp: '2001-01-05T00:00:00Z', dep_delay: 1, flights: -5, carrier: 'AA' }],
    }));
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(422);
    expect(body.error.code).toBe('push_blocked');
    expect(body.error.details.run_id).toBeTruthy();
    const run = await json(await t.app.request(`/v1/runs/${body.error.details.run_id}`));
    expect(run.run.status).toBe('blocked');
    // The same report as `runs show --json`: check results, profile summaries, alert deliveries.
    expect(run.results.some((r: { status: string; check: string }) => r.status === 'fail' && r.check === 'schema')).toBe(true);
    expect(run.profiles.find((p: { column: string }) => p.column === 'flights')).toMatchObject({ count: 1, min: -5, max: -5 });
    expect(run.alerts).toEqual([]);
    const read = await json(await t.app.request('/v1/online-features', post({ features: ['origin_delays:flights'], entities: { origin: ['JFK'] } })));
    expect(read.results[1].values).toEqual([23]);
  });
});

describe('datasets', () => {
  const request = {
    features: ['origin_delays:dep_delay', 'origin_delays:carrier'],
    entities: {
      origin: ['SEA', 'JFK', 'LAX', 'SEA'],
      event_timestamp: ['2001-01-01T05:30:00Z', '2001-01-01T00:00:00Z', '2001-01-01T12:00:00Z', '2000-12-31T23:59:59Z'],
      label: [1, 0, 1, 0],
    },
  };

  it('streams Arrow IPC by default, point-in-time correct, in input order', async () => {
    const res = await t.app.request('/v1/datasets', post(request));
    expect(res.status, res.status === 200 ? '' : await res.clone().text()).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.apache.arrow.stream');
    expect(res.headers.get('x-featureguard-rows')).toBe('4');
    const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
    expect(table.numRows).toBe(4);
    const rows = table.toArray().map((r) => r.toJSON());
    expect(rows.map((r) => [r.origin, Number(r.label), r.dep_delay, r.carrier])).toEqual([
      ['SEA', 1, 5, 'AA'],
      ['JFK', 0, 200, 'AA'],
      ['LAX', 1, null, null],
      ['SEA', 0, null, null],
    ]);
    const run = await json(await t.app.request(`/v1/runs/${res.headers.get('x-featureguard-run-id')}`));
    expect(run.run.kind).toBe('dataset');
  });

  it('answers Parquet, CSV and JSON by format', async () => {
    const parquet = await t.app.request('/v1/datasets', post({ ...request, format: 'parquet' }));
    const bytes = new Uint8Array(await parquet.arrayBuffer());
    expect(Buffer.from(bytes.slice(0, 4)).toString()).toBe('PAR1');
    const csv = await (await t.app.request('/v1/datasets', post({ ...request, format: 'csv' }))).text();
    expect(csv.split('\n')[0]).toMatch(/origin.*event_timestamp.*label.*dep_delay.*carrier/);
    expect(csv).toContain('2001-01-01T05:30:00');
    const jsonRes = await t.app.request('/v1/datasets', post({ ...request, entity_rows: undefined, format: 'json' }));
    expect(jsonRes.status).toBe(200);
    expect(await jsonRes.text()).toContain('"dep_delay":200');
  });

  it('rejects entity rows without a timestamp with a 400', async () => {
    const res = await t.app.request('/v1/datasets', post({ features: ['origin_delays:dep_delay'], entities: { origin: ['SEA'] } }));
    expect(res.status).toBe(400);
  });
});

describe('registry, runs, schedules', () => {
  it('lists and shows registry objects and their versions', async () => {
    const views = await json(await t.app.request('/v1/registry/feature_views'));
    expect(views.items.map((v: any) => v.name)).toEqual(['origin_delays']);
    const one = await json(await t.app.request('/v1/registry/feature_views/origin_delays'));
    expect(one).toMatchObject({ name: 'origin_delays', version: 1, definition: { kind: 'feature_view', ttl: '0' } });
    const versions = await json(await t.app.request('/v1/registry/entities/airport/versions'));
    expect(versions.items).toHaveLength(1);
    expect((await t.app.request('/v1/registry/feature_views/nope')).status).toBe(404);
    expect((await t.app.request('/v1/registry/widgets')).status).toBe(404);
  });

  it('plans and applies definitions', async () => {
    const set = t.fx.project.registry.current();
    const defs = [...set.entities.values(), ...set.sources.values(), ...set.views.values(), ...set.services.values()];
    const view = set.views.get('origin_delays')!;
    const changed = defs.map((d) => (d === view ? { ...view, description: 'delays per origin' } : d));
    const plan = await json(await t.app.request('/v1/registry/plan', post({ definitions: changed })));
    expect(plan.hasChanges).toBe(true);
    expect(plan.changes.filter((c: any) => c.action === 'change').map((c: any) => c.name)).toEqual(['origin_delays']);
    const applied = await json(await t.app.request('/v1/registry/apply', post({ definitions: changed })));
    expect(applied.applied.map((a: any) => [a.name, a.version])).toEqual([['origin_delays', 2]]);
    // What validate would say about the sources comes with the answer (here: nothing).
    expect(applied.source_problems).toEqual([]);
    const versions = await json(await t.app.request('/v1/registry/feature_views/origin_delays/versions'));
    expect(versions.items.map((v: any) => v.version)).toEqual([1, 2]);
  });

  it('names a bad definition as `featureguard validate` does, with did-you-mean, not in the body schema\'s raw words', async () => {
    const set = t.fx.project.registry.current();
    const view = set.views.get('origin_delays')!;
    const defs = [...set.entities.values(), ...set.sources.values(), { ...view, ttl: '6 hours', featurs: [] }, ...set.services.values()];
    const res = await t.app.request('/v1/registry/plan', post({ definitions: defs }));
    expect(res.status).toBe(422);
    const body = await json(res);
    expect(body.error.code).toBe('invalid_definition');
    const at = `definitions[${set.entities.size + set.sources.size}]`;
    expect(body.error.details.problems).toEqual([
      { file: at, object: 'feature_view origin_delays', path: '/ttl', message: "'6 hours' is not a valid duration: use 0 (unlimited) or a whole number with unit s, m, h or d, e.g. 6h" },
      { file: at, object: 'feature_view origin_delays', path: '/featurs', message: "unknown property 'featurs' (did you mean 'features'?)" },
    ]);
  });

  it('pages and filters runs, and exports lineage', async () => {
    const all = await json(await t.app.request('/v1/runs?limit=2'));
    expect(all.runs).toHaveLength(2);
    expect(all.total).toBeGreaterThanOrEqual(4);
    const page2 = await json(await t.app.request('/v1/runs?limit=2&offset=2'));
    expect(page2.runs[0].id).not.toBe(all.runs[0].id);
    const mats = await json(await t.app.request('/v1/runs?kind=materialize&status=success'));
    expect(mats.runs.every((r: any) => r.kind === 'materialize' && r.status === 'success')).toBe(true);
    const lineage = await t.app.request(`/v1/runs/${mats.runs[0].id}/lineage`);
    expect(lineage.status).toBe(200);
    expect(await json(lineage)).toMatchObject({ eventType: 'COMPLETE', run: { runId: mats.runs[0].id }, job: { namespace: 'servertest' } });
    expect((await t.app.request('/v1/runs/does-not-exist')).status).toBe(404);
  });

  it('shows schedules with the next run, and the last run from the quality log', async () => {
    const body = await json(await t.app.request('/v1/schedules'));
    expect(body.scheduler).toBe('off');
    // No scheduler in this process (a `--no-scheduler` replica, or after a restart): the last run comes from the log.
    const [newest] = t.fx.project.runs.list({ view: 'origin_delays', kind: 'materialize', limit: 1 }).runs;
    expect(body.schedules).toEqual([{
      view: 'origin_delays', cron: '*/5 * * * *', active: false, next_run: expect.any(String), error: null,
      last_run: {
        source: 'quality_log', started_at: newest.started_at, finished_at: newest.finished_at, status: 'done', job_id: null,
        runs: [{ id: newest.id, status: newest.status }], message: newest.message,
      },
      latest_run: { id: newest.id, status: newest.status, started_at: newest.started_at, finished_at: newest.finished_at, trigger: newest.trigger },
    }]);
    expect(newest.finished_at).not.toBeNull();
    const next = Date.parse(body.schedules[0].next_run);
    expect(next).toBeGreaterThan(Date.now());
    expect(new Date(next).getUTCMinutes() % 5).toBe(0);
  });
});

describe('operations', () => {
  it('mounts the web pages under /ui', async () => {
    const res = await t.app.request('/ui/runs');
    expect([200, 303]).toContain(res.status);
    expect(res.headers.get('content-type') ?? '').toMatch(/text\/html/);
  });

  it('health and ready', async () => {
    expect(await json(await t.app.request('/health'))).toMatchObject({ status: 'ok' });
    const ready = await t.app.request('/ready');
    expect(ready.status).toBe(200);
    expect(await json(ready)).toMatchObject({ status: 'ready', checks: { state_db: { ok: true }, online_store: { ok: true } } });
  });

  it('metrics expose latency histograms per route pattern and run counters', async () => {
    await t.app.request('/v1/runs/abc');
    const res = await t.app.request('/metrics');
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/# TYPE featureguard_http_request_duration_seconds histogram/);
    expect(text).toMatch(/featureguard_http_request_duration_seconds_bucket\{le="0.001",method="POST",route="\/v1\/online-features",status="200"\} \d+/);
    expect(text).toMatch(/route="\/v1\/runs\/:id",status="404"/);
    expect(text).toMatch(/featureguard_materialize_runs_total\{view="origin_delays",status="success"\} [1-9]/);
    expect(text).toMatch(/featureguard_push_runs_total\{view="origin_delays",status="(success|warned)"\} [1-9]/);
    // One push blocked by the guards (422), one refused for rows that do not fit the view (400, recorded blocked).
    expect(text).toMatch(/featureguard_push_runs_total\{view="origin_delays",status="blocked"\} 2/);
    expect(text).toMatch(/featureguard_run_verdicts_total\{kind="push",status="blocked"\} 2/);
    // Freshness, read from the quality log at scrape time: the newest materialized window end and the last success.
    const done = (['success', 'warned'] as const).flatMap((status) => t.fx.project.runs.list({ view: 'origin_delays', kind: 'materialize', status, limit: 500 }).runs)
      .sort((a, b) => (a.started_at < b.started_at ? 1 : -1));
    const until = Math.max(...done.map((r) => Date.parse(r.window_end!))) / 1000;
    expect(text).toContain(`featureguard_view_materialized_until_seconds{view="origin_delays"} ${until}`);
    expect(text).toContain(`featureguard_view_last_success_seconds{view="origin_delays"} ${Date.parse(done[0].finished_at!) / 1000}`);
    expect(text).toMatch(/featureguard_view_last_run_blocked\{view="origin_delays"\} [01]/);
  });

  it('openapi.json lists every route and its schemas compile', async () => {
    const doc = await json(await t.app.request('/openapi.json'));
    expect(doc.openapi).toBe('3.1.0');
    for (const p of ['/v1/online-features', '/get-online-features', '/v1/push', '/push', '/write-to-online-store', '/materialize', '/materialize-incremental', '/v1/materialize', '/v1/materialize/{job}', '/v1/datasets',
      '/v1/registry/{collection}', '/v1/registry/plan', '/v1/registry/apply', '/v1/runs', '/v1/runs/{id}', '/v1/runs/{id}/lineage', '/v1/alerts/redeliver', '/health', '/ready', '/metrics', '/v1/schedules', '/v1/keys', '/v1/keys/{id}']) {
      expect(doc.paths[p], p).toBeDefined();
    }
    // Both push routes take featureguard's strict body and Feast's lenient one.
    for (const p of ['/v1/push', '/push']) expect(doc.paths[p].post.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/api_feast_push');
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['feature_view', 'entity', 'source', 'feature_service', 'api_online_features', 'api_push']));
    // Every $ref resolves and every component compiles as JSON Schema 2020-12.
    const ajv = new Ajv2020({ strict: false });
    ajv.addSchema({ $id: 'https://openapi.test/doc', components: doc.components });
    const text = JSON.stringify(doc);
    for (const ref of new Set([...text.matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]))) {
      expect(ref.startsWith('#/components/schemas/'), ref).toBe(true);
    }
    for (const name of Object.keys(doc.components.schemas)) {
      expect(() => ajv.compile({ $ref: `https://openapi.test/doc#/components/schemas/${name}` }), name).not.toThrow();
    }
    // Every error a route can answer is documented.
    const codes = (path: string, method = 'post') => Object.keys(doc.paths[path][method].responses);
    for (const p of ['/v1/push', '/push']) expect(codes(p), p).toEqual(expect.arrayContaining(['200', '400', '401', '403', '413', '422', '503']));
    // An unknown view is a 400 `unknown_view`, not a 404.
    for (const p of ['/v1/push', '/push']) expect(codes(p), p).not.toContain('404');
    expect(codes('/v1/datasets')).toEqual(expect.arrayContaining(['200', '400', '413', '422']));
    for (const p of ['/v1/online-features', '/get-online-features']) expect(codes(p), p).toEqual(expect.arrayContaining(['200', '400', '413', '503']));
    expect(doc.paths['/v1/online-features'].post.responses['413'].description).toMatch(/max_entities/);
    expect(doc.paths['/v1/push'].post.responses['503'].description).toMatch(/store_unavailable/);
    expect(doc.paths['/v1/push'].post.responses['503'].headers['retry-after']).toBeDefined();
    expect(doc.paths['/v1/push'].post.responses['422'].content['application/json'].schema.$ref).toBe('#/components/schemas/error');
    expect(doc.paths['/ready'].get.responses['503'].content['application/json'].schema.$ref).toBe('#/components/schemas/readiness');
    expect(codes('/v1/materialize')).toEqual(expect.arrayContaining(['202', '409', '413']));
    expect(codes('/v1/materialize', 'get')).not.toContain('409');
    expect(codes('/v1/registry/apply')).toEqual(expect.arrayContaining(['409', '413', '422']));
    for (const [path, ops] of Object.entries(doc.paths) as [string, Record<string, any>][]) {
      for (const [method, op] of Object.entries(ops)) if (op.requestBody) expect(Object.keys(op.responses), `${method} ${path}`).toContain('413');
    }
    const validatePush = ajv.compile({ $ref: 'https://openapi.test/doc#/components/schemas/api_push' });
    expect(validatePush({ view: 'origin_delays', rows: [] })).toBe(true);
    expect(validatePush({ rows: [] })).toBe(false);
  });
});
