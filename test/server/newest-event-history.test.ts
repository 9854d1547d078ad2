/**
 * `featureguard_view_newest_event_seconds` on a view with a long run history (a push a second) and a run left
 * unfinished: a scrape after the first reads only the runs added since and the unfinished ones, not the history
 * (better-sqlite3 is synchronous: a scrape walking 300,000 runs held every request up for a second).
 */
import { expect, it } from 'vitest';
import { materialize } from '../../src/materialize/materialize.js';
import { createApp } from '../../src/server/app.js';
import { useAppFixture } from './fixture.js';

const t = useAppFixture();
const N = 300_000;

/** DuckDB's timestamp text (UTC, or with a `+hh` offset) in ms, parsed here without the code under test. */
const textMs = (text: string) => Date.parse(`${text.replace(' ', 'T')}${/[+-]\d\d$/.test(text) ? ':00' : 'Z'}`);

it('reads only the runs added since and the unfinished ones after the first scrape, and equals the SQL max', async () => {
  const state = t.fx.project.state;
  const [m] = await materialize(t.fx.project, { start: '2001-01-01', end: '2001-01-02' });
  expect(m.entitiesWritten).toBe(3);

  // Every statement on guard_run_stats (the gauge's queries), and the rows each returned.
  const asked = new Map<string, number>();
  const prepare = state.prepare.bind(state);
  state.prepare = ((sql: string) => {
    const stmt = prepare(sql);
    if (!/guard_run_stats/.test(sql)) return stmt;
    asked.set(sql, asked.get(sql) ?? 0);
    const count = (rows: unknown) => {
      asked.set(sql, (asked.get(sql) ?? 0) + (Array.isArray(rows) ? rows.length : rows === undefined ? 0 : 1));
      return rows;
    };
    const all = stmt.all.bind(stmt);
    const get = stmt.get.bind(stmt);
    Object.assign(stmt, { all: (...a: unknown[]) => count(all(...(a as []))), get: (...a: unknown[]) => count(get(...(a as []))) });
    return stmt;
  }) as typeof state.prepare;
  const app = createApp(t.fx.project);
  const newest = async () => {
    const text = await (await app.request('/metrics')).text();
    const m = /^featureguard_view_newest_event_seconds\{view="origin_delays"\} (\S+)$/m.exec(text);
    return m ? Number(m[1]) : null;
  };

  // 300,000 pushes in one transaction: online, offline or both, some writing nothing, some blocked or failed, one in
  // twenty with an offset (its text sorts after the newest UTC one, but is older).
  const base = Date.now();
  const insertRun = prepare(`INSERT INTO runs (id, kind, view, status, started_at, finished_at, rows_out, counts, options) VALUES (?, 'push', 'origin_delays', ?, ?, ?, ?, '{}', ?)`);
  const insertStats = prepare('INSERT INTO guard_run_stats (run_id, rows, max_event_ts) VALUES (?, ?, ?)');
  const statuses = ['success', 'warned', 'blocked', 'failed', 'success'];
  const tos = [null, '{"to":"online"}', '{"to":"offline"}', '{"to":"both"}'];
  const eventText = (i: number) => {
    const ms = Date.UTC(2002, 0, 1) + ((i * 7919) % N) * 60_000;
    const iso = new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
    return i % 20 === 7 ? `${new Date(ms + 5 * 3_600_000 + 3_600_000 * 24 * 400).toISOString().slice(0, 19).replace('T', ' ')}+05` : iso;
  };
  state.transaction(() => {
    for (let i = 0; i < N; i++) {
      const at = new Date(base + i).toISOString();
      const status = i === 10 ? 'running' : statuses[i % statuses.length];
      insertRun.run(`hist-${i}`, status, at, status === 'running' ? null : at, i % 11 === 3 ? 0 : 1, tos[i % tos.length]);
      if (status !== 'running') insertStats.run(`hist-${i}`, 1, eventText(i));
    }
  })();
  /** The newest event of the runs that wrote online, by plain SQL and a JS max. */
  const expected = () => {
    const texts = prepare(
      `SELECT s.max_event_ts FROM runs r JOIN guard_run_stats s ON s.run_id = r.id
         WHERE r.view = 'origin_delays' AND r.status IN ('success', 'warned') AND r.rows_out > 0 AND s.max_event_ts IS NOT NULL
           AND (r.kind = 'materialize' OR coalesce(json_extract(r.options, '$.to'), 'online') <> 'offline')`,
      )
      .pluck()
      .all() as string[];
    return Math.max(...texts.map(textMs)) / 1000;
  };
  const before = expected();
  // The offset texts are in the year 2003 as text, 2003 minus 5 hours in time: the newest is not the text max.
  expect(before).toBeGreaterThan(Date.UTC(2002, 0, 1) / 1000);
  expect(await newest()).toBe(before);
  const firstRows = [...asked.values()].reduce((a, b) => a + b, 0);
  expect(firstRows).toBeLessThanOrEqual(3); // one aggregate row (the first scrape's only read of the history)

  // The unfinished run finishes with the newest event, and 5 pushes come: the next scrape reads those 6 runs.
  for (const sql of asked.keys()) asked.set(sql, 0);
  prepare(`UPDATE runs SET status = 'success', finished_at = ?, rows_out = 4, options = NULL WHERE id = 'hist-10'`).run(new Date().toISOString());
  prepare('INSERT INTO guard_run_stats (run_id, rows, max_event_ts) VALUES (?, ?, ?)').run('hist-10', 4, '2009-06-01 12:00:00');
  state.transaction(() => {
    for (let i = N; i < N + 5; i++) {
      const at = new Date(base + i).toISOString();
      insertRun.run(`hist-${i}`, 'success', at, at, 1, null);
      insertStats.run(`hist-${i}`, 1, '2001-06-01 00:00:00');
    }
  })();
  expect(await newest()).toBe(Date.UTC(2009, 5, 1, 12) / 1000);
  expect(Date.UTC(2009, 5, 1, 12) / 1000).toBe(expected());
  expect([...asked.values()].reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1 + 5);
  // And a scrape with nothing new reads nothing.
  for (const sql of asked.keys()) asked.set(sql, 0);
  expect(await newest()).toBe(expected());
  expect([...asked.values()].reduce((a, b) => a + b, 0)).toBe(0);
  state.prepare = prepare as typeof state.prepare;

  // Those reads go by rowid and by id, never walking the view's runs; the first by the view's index.
  const plans = [...asked.keys()].map((sql) =>
    (state.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(/@epoch/.test(sql) ? { view: 'origin_delays', epoch: 'x', since: '', seen: 0, upto: 9, ids: '[]' } : { view: 'origin_delays', since: '', seen: 0, upto: 9, ids: '[]' }) as { detail: string }[]).map((r) => r.detail),
  );
  const all = plans.flat();
  expect(all.filter((d) => /^SCAN r\b/.test(d))).toEqual([]);
  expect(all).toContainEqual(expect.stringMatching(/^SEARCH r USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)$/));
  expect(all).toContainEqual(expect.stringMatching(/^SEARCH r USING INDEX sqlite_autoindex_runs_1 \(id=\?\)$/));
  expect(all).toContainEqual(expect.stringMatching(/^SEARCH r USING INDEX runs_view(_kind)? \(view=\? (AND kind=\? )?AND started_at>\?\)$/));
}, 120_000);
