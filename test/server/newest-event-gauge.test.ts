/**
 * `featureguard_view_newest_event_seconds{view}`: the newest event timestamp of the rows written to the online
 * store, from the runs that wrote them (materializations and online pushes). Unlike
 * `featureguard_view_materialized_until_seconds`, an empty window (upstream stopped producing rows) does not move it.
 */
import { expect, it } from 'vitest';
import { materialize } from '../../src/materialize/materialize.js';
import { push } from '../../src/serving/push.js';
import { useAppFixture } from './fixture.js';

const t = useAppFixture();

async function gauges(): Promise<{ newest: number | null; until: number | null }> {
  const text = await (await t.app.request('/metrics')).text();
  const value = (name: string) => {
    const m = new RegExp(`^${name}\\{view="origin_delays"\\} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : null;
  };
  return { newest: value('featureguard_view_newest_event_seconds'), until: value('featureguard_view_materialized_until_seconds') };
}
const at = (iso: string) => Date.parse(iso) / 1000;

it('follows the newest event written online, not the end of the windows', async () => {
  expect(await gauges()).toEqual({ newest: null, until: null });
  // The fixture's rows: hours 0..23 of 2001-01-01, the newest at 23:00.
  const [first] = await materialize(t.fx.project, { start: '2001-01-01', end: '2001-01-02' });
  expect(first.entitiesWritten).toBe(3);
  expect(await gauges()).toEqual({ newest: at('2001-01-01T23:00:00Z'), until: at('2001-01-02T00:00:00Z') });

  // An incremental window with no rows: materialized further, nothing newer written.
  const [empty] = await materialize(t.fx.project, { incremental: true, end: '2001-01-03' });
  expect(['success', 'warned']).toContain(empty.status);
  expect(empty.rowsRead).toBe(0);
  expect(await gauges()).toEqual({ newest: at('2001-01-01T23:00:00Z'), until: at('2001-01-03T00:00:00Z') });

  // A push to the offline source only writes nothing online; one to the online store counts.
  const row = (ts: string) => ({ origin: 'SEA', event_timestamp: ts, dep_delay: 1.5, flights: 2, carrier: 'UA' });
  await push(t.fx.project, { view: 'origin_delays', rows: [row('2001-01-07T00:00:00Z')], to: 'offline' });
  expect((await gauges()).newest).toBe(at('2001-01-01T23:00:00Z'));
  await push(t.fx.project, { view: 'origin_delays', rows: [row('2001-01-05T06:30:00Z')], to: 'online' });
  expect(await gauges()).toEqual({ newest: at('2001-01-05T06:30:00Z'), until: at('2001-01-03T00:00:00Z') });
});

it('reads the runs by index: the first time by view and start, later by rowid and id, each window by its index', async () => {
  const state = t.fx.project.state;
  const asked: string[] = [];
  const prepare = state.prepare.bind(state);
  state.prepare = ((sql: string) => {
    if (/guard_run_stats/.test(sql)) asked.push(sql);
    return prepare(sql);
  }) as typeof state.prepare;
  try {
    // A fresh app: its reader prepares its queries.
    const { createApp } = await import('../../src/server/app.js');
    expect((await createApp(t.fx.project).request('/metrics')).status).toBe(200);
  } finally {
    state.prepare = prepare as typeof state.prepare;
  }
  // The first read (one aggregate), the runs added since, the runs unfinished then.
  expect(asked).toHaveLength(3);
  const plans = asked.map((sql) => (state.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ view: 'origin_delays', epoch: 'x', since: '2001', seen: 0, upto: 9, ids: '[]' }) as { detail: string }[]).map((r) => r.detail));
  // The view's runs from `since` on (a million push runs before it are not walked), each window by its own index.
  expect(plans[0]).toContainEqual(expect.stringMatching(/^SEARCH r USING INDEX runs_view(_kind)? \(view=\? (AND kind=\? )?AND started_at>\?\)$/));
  expect(plans[1]).toContainEqual('SEARCH r USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)');
  expect(plans[2]).toContainEqual(expect.stringMatching(/^SEARCH r USING INDEX sqlite_autoindex_runs_1 \(id=\?\)$/));
  for (const plan of plans) {
    expect(plan).toContainEqual('SEARCH i USING INDEX materialized_intervals_view (view=? AND window_end=?)');
    expect(plan).toContainEqual(expect.stringMatching(/^SEARCH s USING INDEX sqlite_autoindex_guard_run_stats_1 \(run_id=\?\)( LEFT-JOIN)?$/));
    expect(plan.filter((d) => d.startsWith('SCAN') && !/^SCAN json_each/.test(d))).toEqual([]);
  }
});
