/**
 * A Feast frame (`/push` with `push_source_name`/`df`, `/write-to-online-store`) must carry every feature column
 * of the view: Feast's `write_to_online_store` selects `df[feature_column_names]` (a KeyError for a missing one,
 * nothing written) and `write_to_offline_store` refuses columns that differ from the source's. A frame whose
 * feature values are all null writes nothing online (`feature_df.isnull().all().all()`, feast-dev/feast
 * `feature_store.py`). featureguard's own `{view, rows}` body keeps its documented rule: a row is the entity's
 * whole row, a nullable feature left out is stored as null.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { json, post, useAppFixture } from './fixture.js';
import { addOriginFlightsView } from './origin-flights-view.js';

const t = useAppFixture();

beforeAll(() => {
  // A second online view over the fixture's source: a push to the source goes to both views.
  addOriginFlightsView(t.fx);
});

/** origin_delays' features, then origin_flights' one, as served for `origin`. */
async function online(origin: string): Promise<unknown[]> {
  const read = await json(await t.app.request('/get-online-features', post({
    features: ['origin_delays:dep_delay', 'origin_delays:flights', 'origin_delays:carrier', 'origin_flights:flights'],
    entities: { origin: [origin] }, full_feature_names: true,
  })));
  return read.results.slice(1).map((r: { values: unknown[] }) => r.values[0]);
}

const files = () => readdirSync(join(t.fx.dir, 'data', 'delays')).sort();
const runCount = () => t.fx.project.runs.list({ limit: 1000 }).total;

/** A full row for `origin` at hour `h` of 2001-01-10, pushed with featureguard's own body to both views. */
async function seed(origin: string, h: number, dep_delay: number, flights: number, carrier: string): Promise<void> {
  const at = `2001-01-10T${String(h).padStart(2, '0')}:00:00Z`;
  for (const [view, row] of [['origin_delays', { dep_delay, flights, carrier }], ['origin_flights', { flights }]] as const) {
    const res = await t.app.request('/v1/push', post({ view, rows: [{ origin, event_timestamp: at, ...row }], to: 'online' }));
    expect(res.status, await res.clone().text()).toBe(200);
  }
}

describe('a Feast frame that leaves out feature columns', () => {
  it('is refused on /push (400 missing_feature_columns naming them), nothing written, the refusal a blocked run', async () => {
    await seed('SEA', 1, 11, 7, 'AS');
    const runs = runCount();
    const res = await t.app.request('/push', post({
      push_source_name: 'origin_delays', df: { origin: ['SEA'], event_timestamp: ['2001-01-10 08:15:26.514585'], dep_delay: [12.5] }, to: 'online',
    }));
    const body = await json(res);
    expect([res.status, body.error?.code], JSON.stringify(body)).toEqual([400, 'missing_feature_columns']);
    expect(body.error.message).toContain("'carrier', 'flights'");
    expect(body.error.details).toMatchObject({ views: [{ view: 'origin_delays', missing: ['carrier', 'flights'], run_id: expect.any(String) }] });
    expect(await online('SEA')).toEqual([11, 7, 'AS', 7]);
    // Recorded as the view's blocked push run (push-refusal-runs.test.ts checks the record).
    expect(runCount()).toBe(runs + 1);
    expect(t.fx.project.runs.get(body.error.details.views[0].run_id)).toMatchObject({ kind: 'push', view: 'origin_delays', status: 'blocked' });
  });

  it('is refused for to: online_and_offline and offline too, with no file appended', async () => {
    const before = files();
    for (const to of ['online_and_offline', 'offline']) {
      const res = await t.app.request('/push', post({
        push_source_name: 'origin_delays', df: { origin: ['SEA'], event_timestamp: ['2001-01-10 09:00:00'], dep_delay: [13], flights: [8] }, to,
      }));
      const body = await json(res);
      expect([res.status, body.error?.code, body.error?.details?.views], to).toEqual([400, 'missing_feature_columns', [{ view: 'origin_delays', missing: ['carrier'], run_id: expect.any(String) }]]);
    }
    expect(files()).toEqual(before);
    expect(await online('SEA')).toEqual([11, 7, 'AS', 7]);
  });

  it('is refused on /write-to-online-store', async () => {
    const res = await t.app.request('/write-to-online-store', post({
      feature_view_name: 'origin_delays', df: { origin: ['SEA'], event_timestamp: ['2001-01-10 10:00:00'], flights: [9] },
    }));
    const body = await json(res);
    expect([res.status, body.error?.code], JSON.stringify(body)).toEqual([400, 'missing_feature_columns']);
    expect(body.error.details.views).toEqual([{ view: 'origin_delays', missing: ['carrier', 'dep_delay'], run_id: expect.any(String) }]);
    expect(await online('SEA')).toEqual([11, 7, 'AS', 7]);
  });

  it('to a source several views read: refused when one view lacks a column, nothing written to any', async () => {
    // origin_flights has all its columns (flights); origin_delays lacks carrier.
    const res = await t.app.request('/push', post({
      push_source_name: 'delays_source', df: { origin: ['SEA'], event_timestamp: ['2001-01-10 11:00:00'], dep_delay: [14], flights: [10] },
    }));
    const body = await json(res);
    expect([res.status, body.error?.code], JSON.stringify(body)).toEqual([400, 'missing_feature_columns']);
    expect(body.error.details.views).toEqual([{ view: 'origin_delays', missing: ['carrier'], run_id: expect.any(String) }]);
    expect(await online('SEA')).toEqual([11, 7, 'AS', 7]);
  });

  it('a column present with null values is written as null', async () => {
    const res = await t.app.request('/write-to-online-store', post({
      feature_view_name: 'origin_delays', df: { origin: ['SEA'], event_timestamp: ['2001-01-10 12:00:00'], dep_delay: [15], flights: [11], carrier: [null] },
    }));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await json(res)).toMatchObject({ rows: 1, written: 1 });
    expect(await online('SEA')).toEqual([15, 11, null, 7]);
  });
});

describe('a Feast frame whose feature values are all null', () => {
  it('writes nothing online and answers 200 with 0 rows and the reason (Feast skips it)', async () => {
    await seed('SFO', 1, 21, 3, 'UA');
    const runs = runCount();
    for (const [path, body] of [
      ['/push', { push_source_name: 'origin_delays', df: { origin: ['SFO', 'SFO'], event_timestamp: ['2001-01-10 08:00:00', '2001-01-10 09:00:00'], dep_delay: [null, 'NAN'], flights: [null, null], carrier: [null, null] } }],
      ['/write-to-online-store', { feature_view_name: 'origin_delays', df: { origin: ['SFO'], event_timestamp: ['2001-01-10 08:00:00'], dep_delay: [null], flights: [null], carrier: [null] } }],
    ] as const) {
      // NaN as Python's json.dumps writes it: pandas' isnull counts it as null.
      const res = await t.app.request(path, post(JSON.stringify(body).replace('"NAN"', 'NaN')));
      const answer = await json(res);
      expect(res.status, JSON.stringify(answer)).toBe(200);
      expect(answer, path).toMatchObject({ to: 'online', rows: 0, written: 0, skipped_reason: expect.stringContaining('every feature value is null') });
    }
    expect(await online('SFO')).toEqual([21, 3, 'UA', 3]);
    expect(runCount()).toBe(runs);
  });

  it('is written when any feature value of any row is not null (the rule is the whole frame)', async () => {
    const res = await t.app.request('/push', post({
      push_source_name: 'origin_delays', df: { origin: ['SFO', 'JFK'], event_timestamp: ['2001-01-10 10:00:00', '2001-01-10 10:00:00'], dep_delay: [null, 31], flights: [null, null], carrier: [null, null] },
    }));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await json(res)).toMatchObject({ rows: 2, written: 2 });
    expect(await online('SFO')).toEqual([null, null, null, 3]);
    expect(await online('JFK')).toEqual([31, null, null, null]);
  });

  it('to a source several views read: each view judged by its own features, as Feast does per view', async () => {
    // origin_flights' one feature (flights) is null; origin_delays' dep_delay is not.
    const res = await t.app.request('/push', post({
      push_source_name: 'delays_source', df: { origin: ['SFO'], event_timestamp: ['2001-01-10 11:00:00'], dep_delay: [5], flights: [null], carrier: [null] },
    }));
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.views.map((v: { view: string; rows: number; written: number; run_id: string | null }) => [v.view, v.rows, v.written, v.run_id === null]))
      .toEqual([['origin_delays', 1, 1, false], ['origin_flights', 0, 0, true]]);
    expect(body.views[1].skipped_reason).toContain('every feature value is null');
    expect(await online('SFO')).toEqual([5, null, null, 3]);
    // Every view's features null: nothing written, each view named.
    const none = await json(await t.app.request('/push', post({
      push_source_name: 'delays_source', df: { origin: ['SFO'], event_timestamp: ['2001-01-10 12:00:00'], dep_delay: [null], flights: [null], carrier: [null] },
    })));
    expect(none).toMatchObject({ status: 'success', rows: 0, views: [{ view: 'origin_delays', written: 0 }, { view: 'origin_flights', written: 0 }] });
    expect(await online('SFO')).toEqual([5, null, null, 3]);
  });

  it('to: online_and_offline is appended offline only, as Feast still writes it offline', async () => {
    const before = files();
    const res = await t.app.request('/push', post({
      push_source_name: 'origin_delays', df: { origin: ['SFO'], event_timestamp: ['2001-01-10 13:00:00'], dep_delay: [null], flights: [null], carrier: [null] }, to: 'online_and_offline',
    }));
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ to: 'offline', rows: 1, skipped_reason: expect.stringContaining('appended offline only') });
    expect(files().length).toBe(before.length + 1);
    expect(await online('SFO')).toEqual([5, null, null, 3]);
  });
});

describe('the SDK and CLI push with ignoreUnknownColumns (Feast leniency)', () => {
  it('refuses rows without every feature column too, recording the refusal as a blocked run', async () => {
    const { push } = await import('../../src/serving/push.js');
    const runs = runCount();
    await expect(push(t.fx.project, { view: 'origin_delays', rows: [{ origin: 'SEA', event_timestamp: '2001-01-10T14:00:00Z', dep_delay: 1, extra: 2 }], ignoreUnknownColumns: true }))
      .rejects.toMatchObject({ code: 'missing_feature_columns', status: 400, details: { views: [{ view: 'origin_delays', missing: ['carrier', 'flights'], run_id: expect.any(String) }] } });
    expect(runCount()).toBe(runs + 1);
  });
});

describe("featureguard's own {view, rows} body", () => {
  it('keeps its documented rule: a row is the whole row, a nullable feature left out is stored as null', async () => {
    await seed('JFK', 12, 41, 2, 'B6');
    const res = await t.app.request('/v1/push', post({ view: 'origin_delays', rows: [{ origin: 'JFK', event_timestamp: '2001-01-10T13:00:00Z', dep_delay: 42 }] }));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await online('JFK')).toEqual([42, null, null, 2]);
  });
});
