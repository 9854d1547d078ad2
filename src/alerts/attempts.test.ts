import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tempStateDb } from '../../test/helpers/state-db.js';
import { ensureRunTables } from '../runs/run-store.js';
import type { StateDb } from '../state/state-db.js';
import { FIRST_SINCE_SQL, HELD_BACK_ATTEMPTS_SQL, LAST_ARRIVED_SQL, heldBackRuns, listAlertAttempts } from './attempts.js';

const { db } = tempStateDb('attempts');
ensureRunTables(db);
listAlertAttempts({ state: db }, ''); // creates the table
heldBackRuns(db, 'pager', 'project'); // and the summaries' indexes

const plan = (sql: string, params: Record<string, unknown>) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((p) => p.detail).join('; ');

describe('held-back summaries', () => {
  const params = { alert: 'pager', target: 'view:v', views: '["w"]', since: '', fromId: 0 };

  it('walk the alert\'s attempts by index, newest first, with no scan or sort of all of them', () => {
    // Before: "SCAN a" and temp B-trees for GROUP BY and ORDER BY over every attempt ever (24 s at 480,000).
    for (const sql of [LAST_ARRIVED_SQL, HELD_BACK_ATTEMPTS_SQL, FIRST_SINCE_SQL]) expect(plan(sql, params)).not.toMatch(/SCAN (a|b|alert_attempts)\b/);
    for (const sql of [HELD_BACK_ATTEMPTS_SQL, FIRST_SINCE_SQL]) expect(plan(sql, params)).not.toMatch(/TEMP B-TREE/);
    // The arrived attempts only, newest first; then that one run's tries (sorted: a handful).
    expect(plan(LAST_ARRIVED_SQL, params)).toMatch(/SEARCH a USING INDEX alert_attempts_alert_ok \(alert=\?\).*SEARCH b USING INDEX alert_attempts_run \(run_id=\?/);
    expect(plan(HELD_BACK_ATTEMPTS_SQL, params)).toMatch(/SEARCH a USING INDEX alert_attempts_alert \(alert=\? AND id>\?\).*SEARCH b USING COVERING INDEX alert_attempts_run_ok \(run_id=\? AND alert=\?\)/);
    expect(plan(FIRST_SINCE_SQL, params)).toMatch(/alert_attempts_alert_at \(alert=\? AND at>\?\)/);
  });

  /** The previous statements: every matching attempt grouped by run. */
  function previous(state: StateDb, alert: string, target: string, limit: number) {
    const t = "(CASE WHEN r.service IS NOT NULL THEN 'service:' || r.service WHEN r.view IS NOT NULL THEN 'view:' || r.view ELSE 'project' END)";
    const since = (state.prepare(
      `WITH ok AS (SELECT a.id, a.run_id FROM alert_attempts a NOT INDEXED JOIN runs r ON r.id = a.run_id
                   WHERE a.alert = @alert AND a.ok = 1 AND ${t} = @target ORDER BY a.id DESC LIMIT 1)
       SELECT b.at FROM alert_attempts b, ok WHERE b.run_id = ok.run_id AND b.alert = @alert AND b.attempt = 1 AND b.id <= ok.id
       ORDER BY b.id DESC LIMIT 1`).pluck().get({ alert, target }) ?? null) as string | null;
    const runs = state.prepare(
      `SELECT r.id, r.kind, r.view, r.service, r.status, r.started_at FROM alert_attempts a NOT INDEXED JOIN runs r ON r.id = a.run_id
       WHERE a.alert = ? AND a.at >= ? AND ${t} = ?
         AND NOT EXISTS (SELECT 1 FROM alert_attempts b WHERE b.run_id = a.run_id AND b.alert = a.alert AND b.ok = 1)
       GROUP BY r.id ORDER BY max(a.id) DESC LIMIT ?`).all(alert, since ?? '', target, limit);
    return { since, runs: runs.reverse() };
  }

  it('list the runs the previous statements listed, on random logs', () => {
    const attempt = fc.record({
      run: fc.integer({ min: 0, max: 7 }),
      alert: fc.constantFrom('pager', 'pager', 'mail'),
      attempt: fc.integer({ min: 0, max: 3 }),
      ok: fc.boolean(),
      at: fc.integer({ min: 0, max: 20 }), // tries recorded as they end: their start times are not in id order
    });
    fc.assert(
      fc.property(fc.array(attempt, { maxLength: 40 }), fc.constantFrom('view:a', 'view:b', 'service:s', 'project'), fc.constantFrom(1, 2, 3, 100), (attempts, target, limit) => {
        db.exec('DELETE FROM alert_attempts; DELETE FROM runs');
        for (let i = 0; i < 8; i++) {
          const [view, service] = [['a', null], ['b', null], ['a', 's'], [null, null]][i % 4];
          db.prepare("INSERT INTO runs (id, kind, status, started_at, counts, view, service) VALUES (?, 'materialize', 'blocked', ?, '{}', ?, ?)")
            .run(`r${i}`, `2026-01-01T00:00:0${i}.000Z`, view, service);
        }
        for (const a of attempts) {
          db.prepare("INSERT INTO alert_attempts (run_id, alert, url, attempt, ok, at, duration_ms) VALUES (?, ?, 'http://x', ?, ?, ?, 0)")
            .run(`r${a.run}`, a.alert, a.attempt, a.ok ? 1 : 0, `2026-01-01T00:00:${String(a.at).padStart(2, '0')}.000Z`);
        }
        expect(heldBackRuns(db, 'pager', target, limit)).toEqual(previous(db, 'pager', target, limit));
      }),
      { numRuns: 300 },
    );
  });
});
