/**
 * A `/metrics` scrape reads each online view's newest materializations through an index on (view, kind,
 * started_at): a view fed by push has a run a second, and a scrape that walked them (better-sqlite3 is
 * synchronous) held every request of the server up for hundreds of milliseconds at a million runs.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp, type FeatureguardApp } from '../../src/server/app.js';
import { createFixture, type Fixture } from './fixture.js';

let fx: Fixture;
let app: FeatureguardApp;

beforeAll(async () => {
  fx = await createFixture();
  app = createApp(fx.project);
});
afterAll(async () => {
  await fx?.close();
});

it('reads the newest materializations of a view by index, never its other runs', async () => {
  const state = fx.project.state;
  const asked: string[] = [];
  const prepare = state.prepare.bind(state);
  state.prepare = ((sql: string) => {
    if (/FROM runs\b/.test(sql) && /kind = 'materialize'/.test(sql)) asked.push(sql);
    return prepare(sql);
  }) as typeof state.prepare;
  try {
    expect((await app.request('/metrics')).status).toBe(200);
  } finally {
    state.prepare = prepare as typeof state.prepare;
  }
  expect(asked.length).toBeGreaterThan(0);
  for (const sql of asked) {
    const plan = (state.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('origin_delays') as { detail: string }[]).map((r) => r.detail);
    expect(plan, sql).toContainEqual(expect.stringMatching(/^SEARCH runs USING INDEX runs_view_kind \(view=\? AND kind=\?\)$/));
    expect(plan.filter((d) => d.startsWith('SCAN')), sql).toEqual([]);
  }
});
