/**
 * Redelivery of alerts that reached no one. Each delivery is kept in the state
 * database with its body before its first try and forgotten once a try arrives (an
 * outbox): one whose every try failed (the receiver down for a deploy, longer than the
 * tries' 1.5 s of backoff), or whose process was stopped or killed while delivering,
 * is sent again, one try per round, 1, 2, 4, … minutes after it was first sent (at
 * most an hour apart), for the alert's `redeliver_for` (default 24 h). `serve` sends
 * the due ones in its sweep; without a running server, `featureguard alerts
 * redeliver` (cron) does. So a delivery arrives at least once while the receiver comes
 * back within the window (twice if a process is killed between a try arriving and its
 * record).
 *
 * Each redelivery is claimed in one transaction (its next time pushed a minute on), so
 * processes sharing the state database send each once. A redelivered body is the
 * original with a new `sent_at` and `"redelivery": <round>`; receivers dedupe on
 * `run.id` and `alert`. Alerts with `min_interval` are not redelivered: their failed
 * matches already count in the next delivery or held-back summary.
 *
 * @example
 * const attempts = await sendDueRedeliveries(project); // POSTs the due ones, records every attempt
 */
import { storedDuration } from '../definitions/ttl.js';
import type { AlertConfig } from '../definitions/types.js';
import type { Project } from '../project.js';
import { ensureTables, hasTable, type StateDb } from '../state/state-db.js';
import { listAlertAttempts, type AlertAttempt } from './attempts.js';
import { deliver, type AlertOptions } from './dispatch.js';

const DDL = `
CREATE TABLE IF NOT EXISTS alert_redeliveries (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  alert TEXT NOT NULL,
  body TEXT NOT NULL,
  first_tried_at INTEGER NOT NULL,
  next_at INTEGER NOT NULL,
  round INTEGER NOT NULL,
  PRIMARY KEY (run_id, alert)
);
CREATE INDEX IF NOT EXISTS alert_redeliveries_next ON alert_redeliveries (next_at);
`;

/** The default of an alert's `redeliver_for`. */
export const DEFAULT_REDELIVER_FOR = '24h';
/** The wait before round 1; doubled each round, at most `MAX_WAIT_MS`. */
const FIRST_WAIT_MS = 60_000;
const MAX_WAIT_MS = 3_600_000;
/** How long a claimed redelivery is left to the process that claimed it (a try takes at most 5 s). */
const CLAIM_MS = 60_000;
/** Redeliveries claimed per call: a receiver down all day must not make one sweep send thousands. */
const PER_CALL = 100;

/** A delivery waiting to be sent again. */
export interface Redelivery {
  readonly run_id: string;
  readonly alert: string;
  /** The round of the next try (1: the first redelivery). */
  readonly round: number;
  /** When it is due (ISO 8601 UTC). */
  readonly next_at: string;
  /** After this, a failed round is the last: `redeliver_for` after the delivery was first tried (ISO 8601 UTC). */
  readonly until: string;
}

/** How long `alert`'s failed deliveries are redelivered (ms): 0 when off, or when `min_interval` counts them instead. */
export function redeliveryWindow(alert: AlertConfig): number {
  if (storedDuration(alert.min_interval) > 0) return 0;
  return storedDuration(alert.redeliver_for ?? DEFAULT_REDELIVER_FOR);
}

/** The wait after a failed round `round` (1-based). */
function waitAfter(round: number): number {
  return Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** Math.min(round - 1, 20));
}

function db(state: StateDb): StateDb {
  ensureTables(state, 'alert_redeliveries', DDL);
  return state;
}

/** Keep a delivery of `body` about to be tried at `now`, to be sent again unless forgotten (nothing when the alert's window is 0). */
export function scheduleRedelivery(state: StateDb, alert: AlertConfig, runId: string, body: string, now = Date.now()): void {
  if (redeliveryWindow(alert) <= 0) return;
  db(state)
    .prepare('INSERT OR REPLACE INTO alert_redeliveries (run_id, alert, body, first_tried_at, next_at, round) VALUES (?, ?, ?, ?, ?, 1)')
    .run(runId, alert.name, body, now, now + waitAfter(1));
}

/** A delivery that arrived: nothing to send again. */
export function forgetRedelivery(state: StateDb, alert: AlertConfig, runId: string): void {
  if (redeliveryWindow(alert) <= 0) return;
  db(state).prepare('DELETE FROM alert_redeliveries WHERE run_id = ? AND alert = ?').run(runId, alert.name);
}

interface Row {
  run_id: string;
  alert: string;
  body: string;
  first_tried_at: number;
  next_at: number;
  round: number;
}

/** The redeliveries waiting, of one run or all, soonest first (`until` from the alert as configured now). */
export function listRedeliveries(project: Pick<Project, 'state' | 'config'>, runId?: string): Redelivery[] {
  // Read-only callers (`runs show`) on a state database no redelivery was ever kept in: nothing to list.
  if (!hasTable(project.state, 'alert_redeliveries')) return [];
  const rows = project.state
    .prepare(`SELECT run_id, alert, first_tried_at, next_at, round FROM alert_redeliveries ${runId === undefined ? '' : 'WHERE run_id = ?'} ORDER BY next_at, run_id, alert`)
    .all(...(runId === undefined ? [] : [runId])) as Omit<Row, 'body'>[];
  const alerts = new Map((project.config.alerts ?? []).map((a) => [a.name, a]));
  return rows.map((r) => {
    const alert = alerts.get(r.alert);
    return {
      run_id: r.run_id, alert: r.alert, round: r.round, next_at: new Date(r.next_at).toISOString(),
      until: new Date(r.first_tried_at + (alert ? redeliveryWindow(alert) : 0)).toISOString(),
    };
  });
}

/** Per alert: deliveries not arrived yet (in flight or waiting for a round), and when the oldest was first tried (ms). */
export function undeliveredByAlert(state: StateDb): { alert: string; count: number; since: number }[] {
  if (!hasTable(state, 'alert_redeliveries')) return [];
  return state.prepare('SELECT alert, count(*) AS count, min(first_tried_at) AS since FROM alert_redeliveries GROUP BY alert ORDER BY alert').all() as {
    alert: string; count: number; since: number;
  }[];
}

export interface RedeliverOptions extends AlertOptions {
  /** The time it is (ms); default now. */
  readonly now?: number;
  /** Send every waiting redelivery now, due or not (`alerts redeliver --all`). */
  readonly all?: boolean;
  /** Only this run's. */
  readonly runId?: string;
}

/** What one call did: the attempts made, and how many redeliveries are still waiting for a later round. */
export interface RedeliverResult {
  readonly attempts: AlertAttempt[];
  readonly delivered: number;
  readonly failed: number;
  /** Failed rounds that were the last (the alert's `redeliver_for` ended, or the alert is gone or has no redelivery now). */
  readonly given_up: number;
}

/** Claim the due redeliveries (`PER_CALL` at most): their next time moves a claim's length on, in one transaction. */
function claim(state: StateDb, now: number, all: boolean, runId: string | undefined): Row[] {
  return db(state).transaction((): Row[] => {
    const rows = state
      .prepare(
        `SELECT run_id, alert, body, first_tried_at, next_at, round FROM alert_redeliveries
         WHERE (? OR next_at <= ?) AND (? IS NULL OR run_id = ?) ORDER BY next_at LIMIT ${PER_CALL}`,
      )
      .all(all ? 1 : 0, now, runId ?? null, runId ?? null) as Row[];
    const take = state.prepare('UPDATE alert_redeliveries SET next_at = ? WHERE run_id = ? AND alert = ?');
    for (const r of rows) take.run(now + CLAIM_MS, r.run_id, r.alert);
    return rows;
  }).immediate();
}

/**
 * Send the redeliveries that are due at `now` (or all, or one run's), one try each; records every attempt.
 * A delivered one is forgotten; a failed one waits for its next round, or is given up once the alert's
 * `redeliver_for` has passed since its first failure. Delivery problems are recorded, never thrown.
 */
export async function sendDueRedeliveries(project: Pick<Project, 'state' | 'config'>, options: RedeliverOptions = {}): Promise<RedeliverResult> {
  // Nothing was ever kept (and a read-only state database of an earlier version stays unwritten).
  if (!hasTable(project.state, 'alert_redeliveries')) return { attempts: [], delivered: 0, failed: 0, given_up: 0 };
  const now = options.now ?? Date.now();
  const rows = claim(project.state, now, options.all === true, options.runId);
  const alerts = new Map((project.config.alerts ?? []).map((a) => [a.name, a]));
  const forget = project.state.prepare('DELETE FROM alert_redeliveries WHERE run_id = ? AND alert = ?');
  const later = project.state.prepare('UPDATE alert_redeliveries SET next_at = ?, round = ? WHERE run_id = ? AND alert = ?');
  let delivered = 0;
  let failed = 0;
  let givenUp = 0;
  const attempts = await Promise.all(
    rows.map(async (r): Promise<AlertAttempt[]> => {
      const alert = alerts.get(r.alert);
      const window = alert ? redeliveryWindow(alert) : 0;
      // Removed from featureguard.yaml, or redelivery turned off since: dropped unsent.
      if (!alert || window <= 0) {
        forget.run(r.run_id, r.alert);
        givenUp++;
        return [];
      }
      const body = { ...(JSON.parse(r.body) as Record<string, unknown>), sent_at: new Date(now).toISOString(), redelivery: r.round };
      const tried = listAlertAttempts(project, r.run_id).filter((a) => a.alert === r.alert && a.attempt > 0).length;
      let made: AlertAttempt[];
      try {
        made = await deliver(project.state, alert, r.run_id, JSON.stringify(body), { ...options, tries: 1, firstAttempt: tried + 1 });
      } catch {
        // The run was pruned while its try was on the wire (its attempt could not be recorded): nothing left to alert.
        forget.run(r.run_id, r.alert);
        return [];
      }
      if (made.some((a) => a.ok)) {
        delivered++;
        forget.run(r.run_id, r.alert);
      } else if (now + waitAfter(r.round + 1) > r.first_tried_at + window) {
        // The next round would come after the window: this failure was the last.
        failed++;
        givenUp++;
        forget.run(r.run_id, r.alert);
      } else {
        failed++;
        later.run(now + waitAfter(r.round + 1), r.round + 1, r.run_id, r.alert);
      }
      return made;
    }),
  );
  return { attempts: attempts.flat(), delivered, failed, given_up: givenUp };
}
