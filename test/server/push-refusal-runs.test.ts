/**
 * Every push refused for its rows is a run in the quality log, whatever the reason: a value that does not fit
 * the view (400 `invalid_rows`) and a Feast frame that leaves out feature columns (400 `missing_feature_columns`,
 * which recorded nothing before) alike. Refusals before there are rows to judge for a known view (an unknown view,
 * no rows, a body too large or unreadable, too many cells, ragged columns, a body that is no push) record none.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openFeatureStore } from '../../src/sdk/index.js';
import { json, post, useAppFixture } from './fixture.js';
import { addOriginFlightsView } from './origin-flights-view.js';

const t = useAppFixture();

beforeAll(() => {
  // A second online view over the fixture's source: a push to the source goes to both views.
  addOriginFlightsView(t.fx);
});

const pushRuns = () => t.fx.project.runs.list({ kind: 'push', limit: 1000 }).runs;
const at = '2001-01-10T08:00:00Z';

/** The runs recorded by `act`, newest first. */
async function runsOf(act: () => Promise<unknown>) {
  const before = new Set(pushRuns().map((r) => r.id));
  await act();
  return pushRuns().filter((r) => !before.has(r.id));
}

/** The push counters' non-zero samples. */
async function pushSamples(): Promise<string[]> {
  const text = await (await t.app.request('/metrics')).text();
  return text.split('\n').filter((l) => /^featureguard_push_runs_total/.test(l) && !l.endsWith(' 0'));
}

describe('a Feast frame that leaves out feature columns', () => {
  it('on /push: the same 400, and a blocked push run whose schema result names the columns', async () => {
    let res!: Response;
    const runs = await runsOf(async () => {
      res = await t.app.request('/push', post({ push_source_name: 'origin_delays', df: { origin: ['SEA', 'SFO', 'JFK'], event_timestamp: [at, at, at], dep_delay: [1, 2, 3] } }));
    });
    const body = await json(res);
    expect([res.status, body.error.code]).toEqual([400, 'missing_feature_columns']);
    expect(body.error.message).toBe("the pushed frame lacks feature columns (view 'origin_delays': 'carrier', 'flights'): a Feast frame carries every feature of the view, as Feast's write_to_online_store reads them (a missing one is a KeyError there); send a column of nulls for a feature without values; nothing was written");
    expect(runs).toHaveLength(1);
    const run = runs[0];
    expect(body.error.details).toEqual({ views: [{ view: 'origin_delays', missing: ['carrier', 'flights'], run_id: run.id }] });
    expect(run).toMatchObject({ kind: 'push', view: 'origin_delays', status: 'blocked', rows_in: 3, rows_out: 0, message: body.error.message });
    expect(run.counts).toEqual({ pass: 0, warn: 0, fail: 1, error: 0, skipped: 0 });
    const results = t.fx.project.runs.results(run.id);
    expect(results).toHaveLength(1);
    // 3 rows, each without 2 columns: 3 invalid rows, one problem per missing column (not per row and column).
    expect(results[0]).toMatchObject({
      check: 'schema', status: 'fail', policy: 'block', method: 'rows', value: 3,
      metrics: { rows: 3, invalid_rows: 3, problems: 2 }, message: body.error.message,
    });
    expect(results[0].details).toEqual({
      missing_columns: ['carrier', 'flights'],
      problems: ['carrier', 'flights'].map((c) => ({ row: 0, path: '/0', message: `no row has the feature column '${c}'` })),
    });
    expect(await pushSamples()).toEqual(['featureguard_push_runs_total{view="origin_delays",status="blocked"} 1']);
  });

  it('on /write-to-online-store: a blocked run too', async () => {
    let res!: Response;
    const runs = await runsOf(async () => {
      res = await t.app.request('/write-to-online-store', post({ feature_view_name: 'origin_delays', df: { origin: ['SEA'], event_timestamp: [at], flights: [9] } }));
    });
    const body = await json(res);
    expect([res.status, body.error.code, runs.map((r) => [r.view, r.status])]).toEqual([400, 'missing_feature_columns', [['origin_delays', 'blocked']]]);
    expect(body.error.details.views).toEqual([{ view: 'origin_delays', missing: ['carrier', 'dep_delay'], run_id: runs[0].id }]);
    expect(t.fx.project.runs.results(runs[0].id)[0]).toMatchObject({ value: 1, metrics: { rows: 1, invalid_rows: 1, problems: 2 }, details: { missing_columns: ['carrier', 'dep_delay'] } });
  });

  it('to a source several views read: a run for the view that lacks columns only, nothing written to any', async () => {
    let res!: Response;
    const runs = await runsOf(async () => {
      res = await t.app.request('/push', post({ push_source_name: 'delays_source', df: { origin: ['SEA', 'SFO'], event_timestamp: [at, at], dep_delay: [14, 15], flights: [10, 11] } }));
    });
    const body = await json(res);
    expect([res.status, body.error.code]).toEqual([400, 'missing_feature_columns']);
    expect(runs.map((r) => [r.view, r.status, r.rows_in])).toEqual([['origin_delays', 'blocked', 2]]);
    expect(body.error.details.views).toEqual([{ view: 'origin_delays', missing: ['carrier'], run_id: runs[0].id }]);
    expect(t.fx.project.runs.results(runs[0].id)[0]).toMatchObject({ value: 2, metrics: { rows: 2, invalid_rows: 2, problems: 1 } });
    // Counted blocked under the view, as the two refusals before (one on /push, one on /write-to-online-store).
    expect(await pushSamples()).toEqual(['featureguard_push_runs_total{view="origin_delays",status="blocked"} 3']);
  });

  it('an SDK push with ignoreUnknownColumns: a blocked run counting the rows that lack a column', async () => {
    const store = await openFeatureStore(t.fx.dir);
    try {
      const full = { dep_delay: 1, flights: 2, carrier: 'AA' };
      const rows = [
        { origin: 'SEA', event_timestamp: at, ...full },
        { origin: 'SFO', event_timestamp: at, dep_delay: 1, flights: 2 },
        { origin: 'JFK', event_timestamp: at, ...full, other: 1 },
        { origin: 'LAX', event_timestamp: at, flights: 2 },
      ];
      let error: { code?: string; message?: string; details?: unknown } = {};
      const runs = await runsOf(async () => {
        error = await store.push({ view: 'origin_delays', rows, ignoreUnknownColumns: true }).then(() => ({}), (e: Error) => e);
      });
      expect([error.code, runs.map((r) => [r.view, r.status, r.rows_in])]).toEqual(['missing_feature_columns', [['origin_delays', 'blocked', 4]]]);
      expect(error.details).toEqual({ views: [{ view: 'origin_delays', missing: ['carrier', 'dep_delay'], run_id: runs[0].id }] });
      // Row 1 lacks carrier, row 3 carrier and dep_delay: 2 invalid rows, a problem per missing column.
      expect(t.fx.project.runs.results(runs[0].id)[0]).toMatchObject({
        value: 2, metrics: { rows: 4, invalid_rows: 2, problems: 2 },
        details: { missing_columns: ['carrier', 'dep_delay'], problems: [
          { row: 1, path: '/1', message: "2 of 4 rows lack the feature column 'carrier'; first: row 1 (counting from 0)" },
          { row: 3, path: '/3', message: "1 of 4 rows lacks the feature column 'dep_delay'; first: row 3 (counting from 0)" },
        ] },
      });
    } finally {
      await store.close();
    }
  });
});

describe('a large Feast frame that leaves out feature columns', () => {
  it('records one problem per missing column, not per row: 1000 rows lacking 2 columns, 2 problems', async () => {
    const n = 1000;
    const df = { origin: Array.from({ length: n }, (_, i) => `A${i}`), event_timestamp: Array(n).fill(at), dep_delay: Array.from({ length: n }, (_, i) => i) };
    let res!: Response;
    const runs = await runsOf(async () => {
      res = await t.app.request('/push', post({ push_source_name: 'origin_delays', df }));
    });
    const body = await json(res);
    expect([res.status, body.error.code, runs.length]).toEqual([400, 'missing_feature_columns', 1]);
    expect(body.error.details).toEqual({ views: [{ view: 'origin_delays', missing: ['carrier', 'flights'], run_id: runs[0].id }] });
    const results = t.fx.project.runs.results(runs[0].id);
    expect(results[0]).toMatchObject({ value: n, metrics: { rows: n, invalid_rows: n, problems: 2 } });
    expect(results[0].details).toEqual({
      missing_columns: ['carrier', 'flights'],
      problems: [
        { row: 0, path: '/0', message: "no row has the feature column 'carrier'" },
        { row: 0, path: '/0', message: "no row has the feature column 'flights'" },
      ],
    });
  });
});

describe("featureguard's own body: a column missing from every row, or one the view lacks", () => {
  it.each([
    ['the join key', { event_timestamp: at, dep_delay: 1, flights: 1, carrier: 'A' }, "must have required property 'origin'"],
    ['the event timestamp', { origin: 'SEA', dep_delay: 1, flights: 1, carrier: 'A' }, "must have required property 'event_timestamp'"],
    ['an unknown column', { origin: 'SEA', event_timestamp: at, dep_delay: 1, flights: 1, carrier: 'A', bogus: 1 }, "unknown property 'bogus'"],
  ])('%s: 400 invalid_rows, a blocked run', async (_, row, message) => {
    let res!: Response;
    const runs = await runsOf(async () => {
      res = await t.app.request('/v1/push', post({ view: 'origin_delays', rows: [row, row] }));
    });
    const body = await json(res);
    expect([res.status, body.error.code, runs.map((r) => r.status)]).toEqual([400, 'invalid_rows', ['blocked']]);
    expect(body.error.details.run_id).toBe(runs[0].id);
    expect(t.fx.project.runs.results(runs[0].id)[0]).toMatchObject({
      check: 'schema', value: 2, metrics: { rows: 2, invalid_rows: 2, problems: 2 },
      details: { problems: [{ row: 0, path: '/0', message }, { row: 1, path: '/1', message }] },
    });
  });
});

describe('refusals before there are rows of a known view to judge record no run', () => {
  const df = { origin: ['SEA'], event_timestamp: [at], dep_delay: [1], flights: [1], carrier: ['A'] };
  const big: Record<string, unknown> = { origin: Array.from({ length: 20_000 }, (_, i) => `A${i}`), event_timestamp: at };
  for (let i = 0; i < 500; i++) big[`extra_${i}`] = 1;
  it.each([
    ['an unknown view', '/v1/push', post({ view: 'nope', rows: [{ origin: 'SEA', event_timestamp: at }] }), 400, 'unknown_view'],
    ['an unknown push source', '/push', post({ push_source_name: 'nope', df }), 400, 'unknown_view'],
    ['no rows', '/v1/push', post({ view: 'origin_delays', rows: [] }), 400, 'invalid_rows'],
    ['rows that are no list', '/v1/push', post({ view: 'origin_delays', rows: 3 }), 400, 'invalid_request'],
    ['a body over the limit', '/v1/push', post({ view: 'origin_delays', rows: [{ origin: 'x'.repeat(1_100_000) }] }), 413, 'payload_too_large'],
    ['a body that is no JSON', '/v1/push', post('{"view": "origin_delays", "rows": ['), 400, 'malformed_json'],
    ['a compressed body', '/v1/push', post({ view: 'origin_delays', rows: [] }, { 'content-encoding': 'gzip' }), 415, 'unsupported_encoding'],
    ['too many cells', '/push', post({ push_source_name: 'origin_delays', df: big }), 413, 'too_many_cells'],
    ['columns of different lengths', '/push', post({ push_source_name: 'origin_delays', df: { ...df, origin: ['SEA', 'SFO'] } }), 400, 'invalid_rows'],
  ] as const)('%s', async (_, path, init, status, code) => {
    let res!: Response;
    const runs = await runsOf(async () => {
      res = await t.app.request(path, init);
    });
    const body = await json(res);
    expect([res.status, body.error.code, runs]).toEqual([status, code, []]);
  });
});

describe('an SDK push holding an invalid Date', () => {
  it('is refused as before (400 invalid_rows, an invalid Date) and recorded as a blocked run', async () => {
    const store = await openFeatureStore(t.fx.dir);
    try {
      const rows = [
        { origin: 'SEA', event_timestamp: new Date(at), dep_delay: 1, flights: 2, carrier: 'AA' },
        { origin: 'SFO', event_timestamp: new Date('x'), dep_delay: 1, flights: 2, carrier: 'AA' },
      ];
      let error: { code?: string; message?: string; details?: Record<string, unknown> } = {};
      const runs = await runsOf(async () => {
        error = await store.push({ view: 'origin_delays', rows }).then(() => ({}), (e: Error) => e);
      });
      expect(runs.map((r) => [r.view, r.status, r.rows_in])).toEqual([['origin_delays', 'blocked', 2]]);
      expect(error).toMatchObject({
        code: 'invalid_rows',
        message: "1 problem in 1 of 2 pushed rows for view 'origin_delays'; first: row 1 (counting from 0) at /1/event_timestamp: an invalid Date",
        details: { problems: [{ row: 1, path: '/1/event_timestamp', message: 'an invalid Date' }], invalid_rows: 1, problem_count: 1, run_id: runs[0].id },
      });
      expect(t.fx.project.runs.results(runs[0].id)[0]).toMatchObject({ check: 'schema', value: 1, metrics: { rows: 2, invalid_rows: 1, problems: 1 } });
    } finally {
      await store.close();
    }
  });
});
