/**
 * Feast's push by source (`push_source_name` naming a source several views read): Feast writes the rows
 * to each of them (feast-dev/feast `FeatureStore.push`). Each view is its own push run, judged by its own
 * guards; rows that fit no view write nothing; only online (an offline file would need every view's columns).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requestDrops } from '../../src/registry/online-drops.js';
import { json, post, useAppFixture } from './fixture.js';
import { addOriginFlightsView } from './origin-flights-view.js';

const t = useAppFixture();

beforeAll(() => {
  // A second online view and an offline-only one over the fixture's source `delays_source`.
  addOriginFlightsView(t.fx, `kind: feature_view
name: origin_history
entities: [airport]
source: delays_source
features:
  - {name: carrier, type: string}
`);
});

const df = (origin: string, day: string, dep_delay: unknown, flights: unknown = 4) => ({
  origin: [origin], event_timestamp: [`2001-01-${day} 10:00:00`], dep_delay: [dep_delay], flights: [flights], carrier: ['AA'], extra: [1],
});

async function online(origin: string): Promise<unknown[]> {
  const read = await json(await t.app.request('/get-online-features', post({ features: ['origin_delays:dep_delay', 'origin_flights:flights'], entities: { origin: [origin] } })));
  return read.results.slice(1).map((r: { values: unknown[] }) => r.values[0]);
}

describe("Feast's push to a source several views read", () => {
  it("writes the rows to each online view reading the source, one run each, extra columns left out", async () => {
    const res = await t.app.request('/push', post({ push_source_name: 'delays_source', df: df('SEA', '10', 1.5), to: 'online' }));
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ status: expect.stringMatching(/^(success|warned)$/), to: 'online', rows: 1 });
    expect(body.views.map((v: { view: string; to: string; written: number; ignored_columns: string[] }) => [v.view, v.to, v.written, v.ignored_columns])).toEqual([
      ['origin_delays', 'online', 1, ['extra']],
      ['origin_flights', 'online', 1, ['carrier', 'dep_delay', 'extra']],
    ]);
    expect(new Set(body.views.map((v: { run_id: string }) => v.run_id)).size).toBe(2);
    expect(await online('SEA')).toEqual([1.5, 4]);
  });

  it("writes the views the guards pass and answers 422 naming the one they blocked, whose values stay", async () => {
    // NaN as Python's json.dumps writes it (JSON.stringify would write null).
    const res = await t.app.request('/push', post(JSON.stringify({ push_source_name: 'delays_source', df: df('SEA', '11', 'NAN', 9) }).replace('"NAN"', 'NaN')));
    const body = await json(res);
    expect([res.status, body.error.code], JSON.stringify(body)).toEqual([422, 'push_blocked']);
    expect(body.error.message).toMatch(/^push blocked by the guards for 'origin_delays' \(.*\); nothing was written for it; written for 'origin_flights'$/);
    expect(body.error.details.views.map((v: { view: string; status: string }) => [v.view, v.status])).toEqual([['origin_delays', 'blocked'], ['origin_flights', expect.stringMatching(/^(success|warned)$/)]]);
    expect(await online('SEA')).toEqual([1.5, 9]);
  });

  it('writes nothing anywhere when the rows do not fit one of the views, and records that view\'s refusal', async () => {
    const res = await t.app.request('/push', post({ push_source_name: 'delays_source', df: df('SFO', '12', 2.5, 'many') }));
    const body = await json(res);
    expect([res.status, body.error.code]).toEqual([400, 'invalid_rows']);
    expect(body.error.message).toContain("view 'origin_delays'");
    expect(t.fx.project.runs.get(body.error.details.run_id)).toMatchObject({ kind: 'push', view: 'origin_delays', status: 'blocked' });
    expect(await online('SFO')).toEqual([null, null]);
  });

  it('refuses to: offline or both for several views (an appended file would need every view\'s columns), writing nothing', async () => {
    const files = () => readdirSync(join(t.fx.dir, 'data', 'delays')).length;
    const before = files();
    for (const to of ['online_and_offline', 'offline']) {
      const res = await t.app.request('/push', post({ push_source_name: 'delays_source', df: df('JFK', '13', 3.5), to }));
      const body = await json(res);
      expect([res.status, body.error.code, body.error.message]).toEqual([400, 'push_offline_to_several_views', expect.stringContaining("views 'origin_delays', 'origin_flights', 'origin_history' read this source")]);
    }
    expect([files(), await online('JFK')]).toEqual([before, [null, null]]);
  });

  it('answers an empty frame with 200 and pushes nothing, as Feast does (an unknown name is still a 400)', async () => {
    for (const [path, body] of [['/push', { push_source_name: 'delays_source', df: {} }], ['/push', { push_source_name: 'origin_delays', df: { origin: [] } }], ['/write-to-online-store', { feature_view_name: 'origin_flights', df: {} }]] as const) {
      const res = await t.app.request(path, post(body));
      expect([res.status, await json(res)]).toEqual([200, { status: 'success', to: 'online', rows: 0, views: [] }]);
    }
    const unknown = await t.app.request('/write-to-online-store', post({ feature_view_name: 'nope', df: {} }));
    expect(unknown.status).toBe(400);
  });

  it('a view that fails after others were written names them in its error', async () => {
    // The second view's old online values are to be dropped: a push to it is refused until they are (409).
    requestDrops(t.fx.project.state, ['origin_flights']);
    const res = await t.app.request('/push', post({ push_source_name: 'delays_source', df: df('ORD', '15', 6.5) }));
    const body = await json(res);
    expect([res.status, body.error.code]).toEqual([409, 'online_drop_pending']);
    expect(body.error.message).toMatch(/^view 'origin_flights': .*; before it, the rows were written for 'origin_delays'$/);
    expect(body.error.details.views.map((v: { view: string }) => v.view)).toEqual(['origin_delays']);
    expect((await online('ORD'))[0]).toBe(6.5);
  });
});
