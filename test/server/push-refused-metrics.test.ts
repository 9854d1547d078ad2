/**
 * A push refused with a 4xx after its run was recorded as `failed` (409 `online_drop_pending`: the view's online
 * values are to be dropped after an apply) counts as a failed push in the metrics, as its run says; it was not
 * counted at all. Refusals before any run (a 400 for a bad body) still count nothing.
 */
import { beforeAll, expect, it } from 'vitest';
import { requestDrops } from '../../src/registry/online-drops.js';
import { json, post, useAppFixture } from './fixture.js';
import { addOriginFlightsView } from './origin-flights-view.js';

const t = useAppFixture();

beforeAll(() => {
  addOriginFlightsView(t.fx);
});

/** The non-zero samples of the push counters. */
async function pushSamples(): Promise<string[]> {
  const text = await (await t.app.request('/metrics')).text();
  return text.split('\n').filter((l) => /^featureguard_(push_runs_total|run_verdicts_total\{kind="push")/.test(l) && !l.endsWith(' 0'));
}

const row = { origin: 'SEA', event_timestamp: '2001-01-05T10:00:00Z', dep_delay: 1.5, flights: 4, carrier: 'AA' };

it('counts a push refused with 409 online_drop_pending after recording its failed run', async () => {
  requestDrops(t.fx.project.state, ['origin_delays']);
  const res = await t.app.request('/v1/push', post({ view: 'origin_delays', rows: [row] }));
  const body = await json(res);
  expect([res.status, body.error.code]).toEqual([409, 'online_drop_pending']);
  expect(t.fx.project.runs.list({ kind: 'push' }).runs.map((r) => [r.view, r.status])).toEqual([['origin_delays', 'failed']]);
  expect(await pushSamples()).toEqual([
    'featureguard_push_runs_total{view="origin_delays",status="failed"} 1',
    'featureguard_run_verdicts_total{kind="push",status="failed"} 1',
  ]);
});

it('counts a Feast push whose second view is refused so under that view, and the first as written', async () => {
  requestDrops(t.fx.project.state, ['origin_flights']);
  const res = await t.app.request('/push', post({ push_source_name: 'delays_source', df: { origin: ['SFO'], event_timestamp: ['2001-01-06 10:00:00'], dep_delay: [2.5], flights: [3], carrier: ['AA'] } }));
  const body = await json(res);
  expect([res.status, body.error.code, body.error.details.failed_view]).toEqual([409, 'online_drop_pending', 'origin_flights']);
  const samples = await pushSamples();
  expect(samples).toHaveLength(5);
  expect(samples).toEqual(expect.arrayContaining([
    expect.stringMatching(/^featureguard_push_runs_total\{view="origin_delays",status="(success|warned)"\} 1$/),
    'featureguard_push_runs_total{view="origin_delays",status="failed"} 1',
    'featureguard_push_runs_total{view="origin_flights",status="failed"} 1',
    expect.stringMatching(/^featureguard_run_verdicts_total\{kind="push",status="(success|warned)"\} 1$/),
    'featureguard_run_verdicts_total{kind="push",status="failed"} 2',
  ]));
});

it('still counts nothing for a push refused before any run (400)', async () => {
  const before = await pushSamples();
  const res = await t.app.request('/v1/push', post({ view: 'origin_delays', rows: [] }));
  expect(res.status).toBe(400);
  expect(await pushSamples()).toEqual(before);
});

it('counts a Feast push to several views whose rows do not fit a view as the blocked run it recorded', async () => {
  const before = await pushSamples();
  const res = await t.app.request('/push', post({ push_source_name: 'delays_source', df: { origin: ['SFO'], event_timestamp: ['2001-01-07 10:00:00'], dep_delay: [2.5], flights: ['many'], carrier: ['AA'] } }));
  const body = await json(res);
  expect([res.status, body.error.code]).toEqual([400, 'invalid_rows']);
  const run = t.fx.project.runs.get(body.error.details.run_id);
  expect(run?.status).toBe('blocked');
  const after = await pushSamples();
  expect(after.filter((l) => !before.includes(l))).toEqual([
    `featureguard_push_runs_total{view="${run?.view}",status="blocked"} 1`,
    'featureguard_run_verdicts_total{kind="push",status="blocked"} 1',
  ]);
});
