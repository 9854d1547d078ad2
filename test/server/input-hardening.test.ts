/**
 * Requests found to break the API in an audit: awkward entity rows for
 * `POST /v1/datasets`, pushed values that used to become SQL text, pushes
 * online to a view that is not online, and materializations that crashed or
 * are still running (409s name the run, a taken-over lease fails the orphan run).
 * Every user mistake is a 4xx with the JSON error shape, never a 500.
 */
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLeases } from '../../src/materialize/lease.js';
import { createApp, type FeatureguardApp } from '../../src/server/app.js';
import { createFixture, post, type Fixture, json } from './fixture.js';

let fx: Fixture;
let app: FeatureguardApp;
const logged: unknown[] = [];
beforeAll(async () => {
  fx = await createFixture();
  // A second view over the same source that is not online.
  const set = fx.project.registry.current();
  const online = set.views.get('origin_delays')!;
  const { online: _online, schedule: _schedule, ...rest } = online;
  fx.project.registry.apply([...set.entities.values(), ...set.sources.values(), ...set.views.values(), ...set.services.values(), { ...rest, name: 'offline_delays' }]);
  app = createApp(fx.project, { errorLog: (e) => logged.push(e) });
});
afterAll(async () => {
  await fx?.close();
});


const ROW = { origin: 'SEA', event_timestamp: '2001-03-01T12:30:00Z' };
const dataset = (entity_rows: Record<string, unknown>[], format?: string) =>
  app.request('/v1/datasets', post({ features: ['origin_delays:dep_delay'], entity_rows, ...(format ? { format } : {}) }));

describe('POST /v1/datasets with awkward entity rows', () => {
  it('an empty column name is a 400 that says so', async () => {
    const res = await app.request('/v1/datasets', post('{"features":["origin_delays:dep_delay"],"entity_rows":[{"origin":"SEA","event_timestamp":"2001-03-01T12:30:00Z","":1}]}'));
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.error).toMatchObject({ code: 'bad_column_name', message: expect.stringMatching(/empty name/) });
  });

  it('an integer beyond int64 is a 400 naming the column and row', async () => {
    const res = await app.request('/v1/datasets', post('{"features":["origin_delays:dep_delay"],"entity_rows":[{"origin":"SEA","event_timestamp":"2001-03-01T12:30:00Z","n":1},{"origin":"SEA","event_timestamp":"2001-03-01T12:30:00Z","n":12345678901234567890}]}'));
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.error).toMatchObject({ code: 'bad_entity_value', details: { column: 'n', row: 1 } });
    expect(body.error.message).toMatch(/entity column 'n' holds .* in row 1 \(counting from 0\), outside the 64-bit integer range/);
  });

  it('objects, arrays and reserved column names are 400s', async () => {
    for (const [row, code] of [
      [{ ...ROW, extra: { a: 1 } }, 'bad_entity_value'],
      [{ ...ROW, extra: [1, 2] }, 'bad_entity_value'],
      [{ ...ROW, __fg_row: 1 }, 'bad_column_name'],
      [{ ...ROW, __FG_esk: 'x' }, 'bad_column_name'],
    ] as const) {
      const res = await dataset([row]);
      const body = await json(res);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(body.error.code).toBe(code);
    }
  });

  it('keeps NUL characters in strings, in Arrow and JSON', async () => {
    const rows = [{ ...ROW, note: '\u0000x' }, { ...ROW, note: 'a\u0000b\u0000' }];
    const arrow = await dataset(rows);
    expect(arrow.status).toBe(200);
    const t = tableFromIPC(new Uint8Array(await arrow.arrayBuffer()));
    expect(t.getChild('note')!.toArray()).toEqual(['\u0000x', 'a\u0000b\u0000']);
    const res = await dataset(rows, 'json');
    expect(res.status).toBe(200);
    expect((await json(res)).map((r: any) => r.note)).toEqual(['\u0000x', 'a\u0000b\u0000']);
  });

  it('never answered 500', () => {
    expect(logged).toEqual([]);
  });
});

describe('POST /v1/push loads values without building SQL from them', () => {
  const read = async (origin: string) =>
    json(await app.request('/v1/online-features', post({ features: ['origin_delays:dep_delay', 'origin_delays:carrier'], entities: { origin: [origin] } })));

  it('takes NUL, quotes and SQL-looking text verbatim', async () => {
    const nasty = ["\u0000", "O'Hare\u0000'); DROP TABLE x; --", 'back\\slash "dq"'];
    for (const [i, origin] of nasty.entries()) {
      const res = await app.request('/v1/push', post({
        view: 'origin_delays',
        rows: [{ origin, event_timestamp: '2001-01-02T00:00:00.123456Z', dep_delay: 1.5 + i, flights: 2, carrier: origin }],
      }));
      const body = await json(res);
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body).toMatchObject({ written: 1, rows: 1 });
      const got = await read(origin);
      expect(got.results.map((r: any) => r.values[0])).toEqual([origin, 1.5 + i, origin]);
      expect(got.results[1].event_timestamps[0]).toBe('2001-01-02T00:00:00.123456Z');
    }
  });

  it('appends offline the same values (int64 strings, microseconds, nulls)', async () => {
    const res = await app.request('/v1/push', post({
      view: 'origin_delays',
      to: 'offline',
      rows: [{ origin: "Q'\u0000", event_timestamp: '2001-01-05T00:00:00.000001Z', dep_delay: null, flights: '123456789012345', carrier: null }],
    }));
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(200);
    const { openOfflineEngine } = await import('../../src/offline/engine.js');
    const rows = await (await openOfflineEngine()).all(
      `SELECT origin, strftime(event_timestamp, '%Y-%m-%dT%H:%M:%S.%fZ') AS ts, dep_delay, flights::VARCHAR AS flights FROM read_parquet('${body.file.replaceAll("'", "''")}')`,
    );
    expect(rows).toEqual([{ origin: "Q'\u0000", ts: '2001-01-05T00:00:00.000001Z', dep_delay: null, flights: '123456789012345' }]);
  });
});

describe('POST /v1/push to a view that is not online', () => {
  const row = { origin: 'SEA', event_timestamp: '2001-01-02T00:00:00Z', dep_delay: 1, flights: 1, carrier: 'AA' };

  it('refuses online writes (explicit or default) with a 400 naming the view, and records nothing', async () => {
    const before = fx.project.runs.list({ kind: 'push', view: 'offline_delays' }).total;
    for (const to of [undefined, 'online', 'both', 'online_and_offline']) {
      const res = await app.request('/v1/push', post({ view: 'offline_delays', rows: [row], ...(to ? { to } : {}) }));
      const body = await json(res);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(body.error.code).toBe('view_not_online');
      expect(body.error.message).toMatch(/feature view 'offline_delays' is not an online view.*set online: true/);
    }
    expect(fx.project.runs.list({ kind: 'push', view: 'offline_delays' }).total).toBe(before);
    expect((await (await fx.project.onlineStore()).stats()).views.offline_delays).toBeUndefined();
  });

  it('still takes to: offline', async () => {
    const res = await app.request('/v1/push', post({ view: 'offline_delays', rows: [row], to: 'offline' }));
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ to: 'offline', written: 0 });
    expect(body.file).toMatch(/push-.*\.parquet$/);
  });
});

describe('POST /v1/materialize and materializations of other processes', () => {
  it('409 names the running run, not the lease owner', async () => {
    const [lease] = acquireLeases(fx.project.state, ['origin_delays'], 'materialize-8244-0561954d');
    const run = fx.project.runs.create({ kind: 'materialize', view: 'origin_delays' });
    try {
      const res = await app.request('/v1/materialize', post({ views: ['origin_delays'], incremental: true }));
      const body = await json(res);
      expect(res.status).toBe(409);
      expect(body.error.code).toBe('materialization_running');
      expect(body.error.message).toContain(`(run ${run.id}; pid ${process.pid} on `);
      expect(body.error.message).not.toContain('materialize-8244');
      expect(body.error.details).toMatchObject({ run_id: run.id, run_ids: [run.id], owner: 'materialize-8244-0561954d' });
    } finally {
      lease.release();
      fx.project.runs.update(run.id, { status: 'success', finished_at: new Date().toISOString() });
    }
  });

  it('409 says "another process" when no running run is known', async () => {
    const [lease] = acquireLeases(fx.project.state, ['origin_delays'], 'materialize-1-abc');
    // Held by another live process (a lease of this one says "by this process").
    fx.project.state.prepare("UPDATE materialization_leases SET pid = ? WHERE view = 'origin_delays'").run(process.ppid);
    try {
      const body = await json(await app.request('/v1/materialize', post({ views: ['origin_delays'], incremental: true })));
      expect(body.error.message).toMatch(/^feature view 'origin_delays' is already being materialized by another process \(pid /);
      expect(body.error.details).toMatchObject({ owner: 'materialize-1-abc' });
      expect(body.error.details.run_id).toBeUndefined();
    } finally {
      lease.release();
    }
  });

  it('a later materialization fails the run a killed one left running', async () => {
    acquireLeases(fx.project.state, ['origin_delays'], 'materialize-killed'); // never released: the process "was killed"
    const orphan = fx.project.runs.create({ kind: 'materialize', view: 'origin_delays' });
    fx.project.state.prepare("UPDATE materialization_leases SET expires_at = 0 WHERE view = 'origin_delays'").run();
    const res = await app.request('/v1/materialize', post({ views: ['origin_delays'], start: '2001-01-01T00:00:00Z', end: '2001-01-02T00:00:00Z' }));
    const started = await json(res);
    expect(res.status, JSON.stringify(started)).toBe(202);
    const run = await json(await app.request(`/v1/runs/${orphan.id}`));
    expect(run.run).toMatchObject({ status: 'failed', message: 'the materialization process stopped before finishing (lease expired)' });
    for (let i = 0; i < 200 && (await json(await app.request(`/v1/materialize/${started.job_id}`))).status === 'running'; i++) await new Promise((r) => setTimeout(r, 25));
  });
});

describe('requests whose size is in what they describe, not in their bytes (a review: one 0.8 MB push ran the heap out)', () => {
  it('a Feast push whose scalar columns would make millions of cells is a 413 before any row is built', async () => {
    const df: Record<string, unknown> = { origin: Array.from({ length: 20_000 }, (_, i) => `A${i}`), event_timestamp: '2001-01-02T00:00:00Z' };
    for (let i = 0; i < 500; i++) df[`extra_${i}`] = 1;
    const started = Date.now();
    for (const [path, body] of [['/push', { push_source_name: 'origin_delays', df }], ['/write-to-online-store', { feature_view_name: 'origin_delays', df }]] as const) {
      const res = await app.request(path, post(body));
      const err = (await json(res)).error;
      expect([res.status, err.code, err.details]).toEqual([413, 'too_many_cells', { field: 'df', rows: 20_000, columns: 502, limit: 4 * 1024 * 1024 }]);
    }
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('dataset entity rows each bringing a column of their own count as rows × all their columns', async () => {
    const rows = Array.from({ length: 3_000 }, (_, i) => ({ origin: 'SEA', event_timestamp: '2001-01-02T00:00:00Z', [`c${i}`]: 1 }));
    const res = await app.request('/v1/datasets', post({ features: ['origin_delays:dep_delay'], entity_rows: rows }));
    const err = (await json(res)).error;
    expect([res.status, err.code, err.details.columns]).toEqual([413, 'too_many_cells', 3_002]);
  });

  it("a pushed row's __proto__ member is an unknown property, not the row's fields", async () => {
    const res = await app.request('/v1/push', post('{"view": "origin_delays", "rows": [{"origin": "SEA", "event_timestamp": "2001-01-02T00:00:00Z", "__proto__": {"dep_delay": 1, "flights": 1, "carrier": "AA"}}]}'));
    expect([res.status, JSON.stringify((await json(res)).error)]).toEqual([400, expect.stringContaining("unknown property '__proto__'")]);
  });

  it('an offset of more than nine digits is taken', async () => {
    const res = await app.request('/v1/runs?offset=1000000000');
    expect([res.status, (await json(res)).runs]).toEqual([200, []]);
  });
});
