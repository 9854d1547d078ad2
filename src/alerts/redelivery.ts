/**
 * Redelivery of alerts that reached no one. Each delivery is kept in the state
 * database with its body before its first try and forgotten once a try arrives (an
 * outbox): one whose every try failed (the receiver down for a deploy, longer than the
 * tries' 1.5 s of backoff), or whose process was stopped or killed while delivering,
 * is sent again, one try per round, the rounds 1, 2, 4, … minutes apart (at most an
 * hour), for the alert's `redeliver_for` (default 24 h) after its first try. `serve` sends
 * the due ones in its sweep; without a running server, `featureguard alerts
 * redeliver` (cron) does. So a delivery arrives at least once while the receiver comes
 * back within the window (twice if a process is killed between a try arriving and its
 * record, or the state database stays locked by another process through the record's three
 * tries). A kept delivery whose arrived try is recorded is not sent again.
 *
 * Each redelivery is claimed in one transaction (its next time pushed a minute on), so
 * processes sharing the state database send each once. A redelivered body is the
 * original with a new `sent_at` and `"redelivery": <round>`, and its `delivery_id`
 * (`delivery-id.ts`), which receivers dedupe on. Alerts with `min_interval` are not redelivered: their failed
 * matches already count in the next delivery or held-back summary. A delivery kept before its alert got a
 * `min_interval` is counted so too, by the next call (`held_back`), instead of waiting unsent.
 *
 * @example
 * const attempts = await sendDueRedeliveries(project); // POSTs the due ones, records every attempt
 */
import { randomUUID } from 'node:crypto';
import { storedDuration } from '../definitions/ttl.js';
import type { AlertConfig } from '../definitions/types.js';
import type { Project } from '../project.js';
import { ensureColumn, ensureTables, hasTable, writeWhenFree, type StateDb } from '../state/state-db.js';
import { alertTarget, recordedTarget, triesOf } from './attempts.js';
import type { AlertAttempt } from './attempts-types.js';
import type { RedeliverResult } from './redelivery-types.js';
import { runDeliveryId } from './delivery-id.js';
import { countGivenUp } from './given-up.js';
import { ensureThrottleTable, foldIntoHeldBack, throttles, undeliveredHeldBack } from './throttle.js';
import { deliver, type AlertOptions } from './dispatch.js';

const DDL = `
CREATE TABLE IF NOT EXISTS alert_redeliveries (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  alert TEXT NOT NULL,
  body TEXT NOT NULL,
  first_tried_at INTEGER NOT NULL,
  next_at INTEGER NOT NULL,
  round INTEGER NOT NULL,
  claim TEXT,
  claimed_until INTEGER NOT NULL DEFAULT 0,
  tries INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, alert)
);
CREATE INDEX IF NOT EXISTS alert_redeliveries_next ON alert_redeliveries (next_at);
`;

/** The default of an alert's `redeliver_for`. */
export const DEFAULT_REDELIVER_FOR = '24h';
/** The wait before round 1; doubled each round, at most `MAX_WAIT_MS`. */
const FIRST_WAIT_MS = 60_000;
const MAX_WAIT_MS = 3_600_000;
/** How long a claimed redelivery (or one whose first tries are on the wire) is left to its process (a try takes at most 5 s). */
const CLAIM_MS = 60_000;
/** Redeliveries claimed and sent at once. */
const PER_BATCH = 100;
/** Batches per call (a sweep): a backlog (a receiver down through a storm of runs) drains at 2,000 a sweep. */
const BATCHES_PER_CALL = 20;
/** Rows of an alert this process does not redeliver (another process's newer featureguard.yaml) are left this long. */
const UNCONFIGURED_GRACE_MS = 7 * 86_400_000;

/** A delivery waiting to be sent again. */
export interface Redelivery {
  readonly run_id: string;
  readonly alert: string;
  /** The round of the next try (1: the first redelivery). */
  readonly round: number;
  /** When it is due (ISO 8601 UTC). */
  readonly next_at: string;
  /**
   * After this, a failed round is the last: `redeliver_for` after the delivery was first tried (ISO 8601 UTC); null
   * when this process's featureguard.yaml does not redeliver the alert (another process's may).
   */
  readonly until: string | null;
  /**
   * A process holds it: its tries are on the wire (the first ones, or a round's), or the process was killed while
   * sending and its claim has not run out yet. `next_at` applies only if no try arrives.
   */
  readonly in_flight: boolean;
}

/**
 * How long `alert`'s failed deliveries are redelivered (ms): 0 when off, when `min_interval` counts them instead, or
 * when the window ends before the first round (a `redeliver_for` under a minute would only keep deliveries to give
 * them up unsent, listed meanwhile as due after their window).
 */
export function redeliveryWindow(alert: AlertConfig): number {
  if (throttles(alert)) return 0;
  const window = storedDuration(alert.redeliver_for ?? DEFAULT_REDELIVER_FOR);
  return window < FIRST_WAIT_MS ? 0 : window;
}

/** The wait after a failed round `round` (1-based). */
function waitAfter(round: number): number {
  return Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** Math.min(round - 1, 20));
}

function db(state: StateDb): StateDb {
  ensureTables(state, 'alert_redeliveries', DDL);
  ensureTriesColumn(state);
  return state;
}

/**
 * `tries` (the run's tries of the alert so far, kept here because pruning a run to its summary removes its attempts)
 * on a table made by an earlier version; false when it lacks it and is read-only.
 */
function ensureTriesColumn(state: StateDb): boolean {
  return ensureColumn(state, 'alert_redeliveries', 'tries', 'INTEGER NOT NULL DEFAULT 0');
}

/**
 * Keep a delivery of `body` about to be tried at `now`, to be sent again unless forgotten (nothing when the alert's
 * window is 0). It is held for `holdMs`, as long as its first tries can take (see `firstTriesMs`): no other
 * process sends it beside them; `releaseRedelivery` frees it once they have failed.
 */
export function scheduleRedelivery(state: StateDb, alert: AlertConfig, runId: string, body: string, now = Date.now(), holdMs = CLAIM_MS): void {
  if (redeliveryWindow(alert) <= 0) return;
  const hold = Math.max(CLAIM_MS, holdMs);
  db(state)
    .prepare('INSERT OR REPLACE INTO alert_redeliveries (run_id, alert, body, first_tried_at, next_at, round, claim, claimed_until) VALUES (?, ?, ?, ?, ?, 1, NULL, ?)')
    .run(runId, alert.name, body, now, now + waitAfter(1), now + hold);
}

/** The longest the tries of one delivery can take (each try's timeout, the backoffs between them), with a minute to spare. */
export function firstTriesMs(tries: number, timeoutMs: number, backoffMs: number): number {
  return tries * timeoutMs + backoffMs * (2 ** Math.max(0, tries - 1) - 1) + CLAIM_MS;
}

/** A delivery whose first tries all failed (the last numbered `tries`): no longer held, due at its first round. */
export function releaseRedelivery(state: StateDb, alert: AlertConfig, runId: string, tries = 0): void {
  if (redeliveryWindow(alert) <= 0) return;
  db(state).prepare('UPDATE alert_redeliveries SET claimed_until = 0, tries = ? WHERE run_id = ? AND alert = ? AND claim IS NULL').run(tries, runId, alert.name);
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
  tries: number;
}

/** The redeliveries waiting, of one run or all, soonest first, at most `limit` (`until` from the alert as configured now). */
export function listRedeliveries(project: Pick<Project, 'state' | 'config'>, runId?: string, limit = 1_000): Redelivery[] {
  // Read-only callers (`runs show`) on a state database no redelivery was ever kept in: nothing to list.
  if (!hasTable(project.state, 'alert_redeliveries')) return [];
  const rows = project.state
    .prepare(`SELECT run_id, alert, first_tried_at, next_at, round, claimed_until FROM alert_redeliveries ${runId === undefined ? '' : 'WHERE run_id = ?'} ORDER BY next_at, run_id, alert LIMIT ?`)
    .all(...(runId === undefined ? [] : [runId]), limit) as (Omit<Row, 'body' | 'tries'> & { claimed_until: number | null })[];
  const now = Date.now();
  const alerts = new Map((project.config.alerts ?? []).map((a) => [a.name, a]));
  return rows.map((r) => {
    const alert = alerts.get(r.alert);
    const window = alert ? redeliveryWindow(alert) : 0;
    return {
      run_id: r.run_id, alert: r.alert, round: r.round, next_at: new Date(r.next_at).toISOString(),
      until: window > 0 ? new Date(r.first_tried_at + window).toISOString() : null,
      in_flight: (r.claimed_until ?? 0) > now,
    };
  });
}

/** How many redeliveries wait, of one run or all. */
export function countRedeliveries(state: StateDb, runId?: string): number {
  if (!hasTable(state, 'alert_redeliveries')) return 0;
  return state.prepare(`SELECT count(*) FROM alert_redeliveries ${runId === undefined ? '' : 'WHERE run_id = ?'}`).pluck().get(...(runId === undefined ? [] : [runId])) as number;
}

/** What `alerts redeliver` and `POST /v1/alerts/redeliver` answer: what was sent, and the 100 soonest still waiting. */
export interface RedeliverReport extends RedeliverResult {
  readonly waiting: Redelivery[];
  readonly waiting_total: number;
}

/**
 * Send the due redeliveries (options as `sendDueRedeliveries`; `runId` must name a run: `NotFoundError`
 * otherwise), then list what still waits: the CLI's and the API's service.
 */
export async function redeliverAndReport(project: Project, options: RedeliverOptions = {}): Promise<RedeliverReport> {
  if (options.runId !== undefined) project.runs.get(options.runId);
  const result = await sendDueRedeliveries(project, options);
  return { ...result, waiting: listRedeliveries(project, options.runId, 100), waiting_total: countRedeliveries(project.state, options.runId) };
}

/**
 * Per alert: the deliveries not arrived yet, and when the oldest was first tried (ms). For an alert this process
 * redelivers, those in flight or waiting for a round (given up ones are gone from it: `given-up.ts` counts them);
 * for a `min_interval` alert, the matches held back on targets whose last delivery has not arrived (in flight,
 * failed, or killed: `undeliveredHeldBack`).
 */
export function undeliveredByAlert(project: Pick<Project, 'state' | 'config'>): { alert: string; count: number; since: number }[] {
  const alerts = project.config.alerts ?? [];
  const held = undeliveredHeldBack(project.state, alerts.filter(throttles).map((a) => a.name));
  const names = alerts.filter((a) => redeliveryWindow(a) > 0).map((a) => a.name);
  if (names.length === 0 || !hasTable(project.state, 'alert_redeliveries')) return held;
  const kept = project.state
    .prepare(`SELECT alert, count(*) AS count, min(first_tried_at) AS since FROM alert_redeliveries WHERE alert IN (${names.map(() => '?').join(', ')}) GROUP BY alert ORDER BY alert`)
    .all(...names) as { alert: string; count: number; since: number }[];
  return [...kept, ...held].sort((a, b) => (a.alert < b.alert ? -1 : a.alert > b.alert ? 1 : 0));
}

/** The alerts of a run that have a delivery kept (in flight, or waiting to be sent again). */
export function keptAlerts(state: StateDb, runId: string): string[] {
  if (!hasTable(state, 'alert_redeliveries')) return [];
  return state.prepare('SELECT alert FROM alert_redeliveries WHERE run_id = ?').pluck().all(runId) as string[];
}

export interface RedeliverOptions extends AlertOptions {
  /** The time it is (ms); default now. */
  readonly now?: number;
  /** Send every waiting redelivery now, due or not (`alerts redeliver --all`). */
  readonly all?: boolean;
  /** Only this run's. */
  readonly runId?: string;
  /** With `all`: at most this many (the API's 2,000: a request must end). Default every one. */
  readonly max?: number;
}

const NOTHING: RedeliverResult = { attempts: [], delivered: 0, failed: 0, given_up: 0, held_back: 0 };

/** A redelivery's key. */
type Key = readonly [runId: string, alert: string];

/**
 * In one transaction: give up the redeliveries whose window ran out before their round (a server or cron that was
 * down, a backlog), and those of alerts this process does not redeliver once they are a week old (another process
 * may run a newer featureguard.yaml that has them); then claim a batch of the alerts it does redeliver, unclaimed
 * (or whose claim ran out): the due ones not tried in this call already, soonest first, or with `keys` those of
 * them (`all`). Returns the claimed rows and how many were given up.
 */
function claim(state: StateDb, windows: ReadonlyMap<string, number>, throttled: readonly string[], token: string, now: number, runId: string | null, keys?: readonly Key[]): { rows: Row[]; givenUp: number; heldBack: number } {
  const names = [...windows.keys()];
  const inList = names.map(() => '?').join(', ');
  return state.transaction(() => {
    let givenUp = 0;
    let heldBack = 0;
    // Kept before their alert got a min_interval (not in flight): counted as held back for their run's target instead.
    if (throttled.length > 0) {
      const fold = `FROM alert_redeliveries k JOIN runs r ON r.id = k.run_id WHERE k.alert IN (${throttled.map(() => '?').join(', ')}) AND k.claimed_until <= ? AND (? IS NULL OR k.run_id = ?)`;
      const args = [...throttled, now, runId, runId];
      const rows = state.prepare(`SELECT k.run_id, k.alert, r.service, r.view ${fold}`).all(...args) as { run_id: string; alert: string; service: string | null; view: string | null }[];
      const forget = state.prepare('DELETE FROM alert_redeliveries WHERE run_id = ? AND alert = ?');
      for (const r of rows) {
        // In the slot its tries counted in (a `services:` alert's service), else its run's.
        foldIntoHeldBack(state, r.alert, recordedTarget(state, r.run_id, r.alert) ?? alertTarget(r), now);
        heldBack += forget.run(r.run_id, r.alert).changes;
      }
    }
    const expire = state.prepare('DELETE FROM alert_redeliveries WHERE alert = ? AND first_tried_at + ? < ? AND claimed_until <= ? AND (? IS NULL OR run_id = ?)');
    for (const [alert, window] of windows) {
      const n = expire.run(alert, window, now, now, runId, runId).changes;
      countGivenUp(state, alert, n);
      givenUp += n;
    }
    const unconfigured = `FROM alert_redeliveries WHERE alert NOT IN (${inList}) AND first_tried_at < ? AND claimed_until <= ? AND (? IS NULL OR run_id = ?)`;
    const args = [...names, now - UNCONFIGURED_GRACE_MS, now, runId, runId];
    for (const r of state.prepare(`SELECT alert, count(*) AS n ${unconfigured} GROUP BY alert`).all(...args) as { alert: string; n: number }[]) countGivenUp(state, r.alert, r.n);
    givenUp += state.prepare(`DELETE ${unconfigured}`).run(...args).changes;
    // Delivered, with the arrived try recorded, but not forgotten (the state database was busy then): not sent again.
    if (hasTable(state, 'alert_attempts')) {
      state
        .prepare('DELETE FROM alert_redeliveries WHERE (? IS NULL OR run_id = ?) AND EXISTS (SELECT 1 FROM alert_attempts a WHERE a.run_id = alert_redeliveries.run_id AND a.alert = alert_redeliveries.alert AND a.ok = 1)')
        .run(runId, runId);
    }
    if (names.length === 0 || keys?.length === 0) return { rows: [], givenUp, heldBack };
    const which = keys
      ? { sql: `(run_id, alert) IN (VALUES ${keys.map(() => '(?, ?)').join(', ')})`, args: keys.flat() }
      : { sql: 'next_at <= ? AND (claim IS NULL OR claim <> ?) AND (? IS NULL OR run_id = ?)', args: [now, token, runId, runId] };
    const rows = state
      .prepare(
        `SELECT run_id, alert, body, first_tried_at, next_at, round, tries FROM alert_redeliveries
         WHERE alert IN (${inList}) AND claimed_until <= ? AND ${which.sql} ORDER BY next_at LIMIT ${PER_BATCH}`,
      )
      .all(...names, now, ...which.args) as Row[];
    const take = state.prepare('UPDATE alert_redeliveries SET claim = ?, claimed_until = ? WHERE run_id = ? AND alert = ?');
    for (const r of rows) take.run(token, now + CLAIM_MS, r.run_id, r.alert);
    return { rows, givenUp, heldBack };
  }).immediate();
}

/**
 * Send the redeliveries that are due (or, with `all`, every one waiting when the call starts, each once), one try
 * each; records every attempt. A delivered one is forgotten; a failed one waits for its next round, or is given up
 * once the alert's `redeliver_for` has passed since it was first tried. Each is claimed just before its try, so
 * processes sharing the state database send it once. Up to 2,000 due ones a call. Delivery problems are recorded,
 * never thrown; a read-only state database sends nothing. `options.signal` stops it between batches and cuts the
 * tries in flight: what was not delivered stays kept, due, for the next call.
 */
export async function sendDueRedeliveries(project: Pick<Project, 'state' | 'config'>, options: RedeliverOptions = {}): Promise<RedeliverResult> {
  // Nothing was ever kept (and a read-only state database of an earlier version stays unwritten).
  if (!hasTable(project.state, 'alert_redeliveries')) return NOTHING;
  // A read-only state database of an earlier version (no `tries`) sends nothing either.
  if (!ensureTriesColumn(project.state)) return NOTHING;
  // The time goes on during a call (a batch against a receiver that does not answer takes its 5 s timeout): each
  // claim, body and schedule reads the clock afresh (a test's `options.now` stands still).
  const clock = () => options.now ?? Date.now();
  const alerts = new Map((project.config.alerts ?? []).filter((a) => redeliveryWindow(a) > 0).map((a) => [a.name, a]));
  const windows = new Map([...alerts].map(([name, a]) => [name, redeliveryWindow(a)]));
  // Alerts with a min_interval: what they have kept (from before they had it) is counted as held back, not sent.
  let throttled = (project.config.alerts ?? []).filter(throttles).map((a) => a.name);
  if (throttled.length > 0) {
    await writeWhenFree(project.state, () => ensureThrottleTable(project.state)).catch((e: unknown) => {
      // A read-only state database (a reader of the project) changes nothing.
      if ((e as { code?: string }).code !== 'SQLITE_READONLY') throw e;
      throttled = [];
    });
  }
  const token = randomUUID();
  const state = project.state;
  const runId = options.runId ?? null;
  const mine = 'run_id = ? AND alert = ? AND claim = ?';
  const forget = state.prepare(`DELETE FROM alert_redeliveries WHERE ${mine}`);
  // Free for other processes at its next round; this call's token stays on it, so this call does not take it again.
  const later = state.prepare(`UPDATE alert_redeliveries SET next_at = ?, round = ?, tries = ?, claimed_until = 0 WHERE ${mine}`);
  // `all`: the ones waiting now, each tried once by this call (another `--all` beside it may try it once more).
  const waiting: Key[] | null = options.all
    ? (state
        .prepare(`SELECT run_id, alert FROM alert_redeliveries WHERE (? IS NULL OR run_id = ?) ORDER BY next_at`)
        .raw()
        .all(runId, runId) as [string, string][]).filter(([, alert]) => windows.has(alert)).slice(0, options.max ?? Infinity)
    : null;
  const attempts: AlertAttempt[] = [];
  let delivered = 0;
  let failed = 0;
  let givenUp = 0;
  let heldBack = 0;
  // Freed for the next process when the call is stopped (`serve` stopping) before or during its try: still due.
  const stopped = state.prepare(`UPDATE alert_redeliveries SET tries = max(tries, ?), claimed_until = 0 WHERE ${mine}`);
  // Every write waits for another process's write lock on a timer, never in SQLite's synchronous busy wait (`serve`
  // redelivers in the background while it answers requests).
  const free = <T>(write: () => T) => writeWhenFree(state, write);
  for (let batch = 0; waiting ? batch * PER_BATCH < Math.max(1, waiting.length) : batch < BATCHES_PER_CALL; batch++) {
    if (options.signal?.aborted) break;
    let claimed: { rows: Row[]; givenUp: number; heldBack: number };
    try {
      const keys = waiting?.slice(batch * PER_BATCH, (batch + 1) * PER_BATCH);
      claimed = await free(() => claim(state, windows, throttled, token, clock(), runId, keys));
    } catch (e) {
      // A read-only state database (a reader of the project) sends nothing; `serve` logs anything else.
      if ((e as { code?: string }).code === 'SQLITE_READONLY') break;
      throw e;
    }
    givenUp += claimed.givenUp;
    heldBack += claimed.heldBack;
    if (claimed.rows.length === 0 && !waiting) break;
    const made = await Promise.all(
      claimed.rows.map(async (r): Promise<AlertAttempt[]> => {
        const alert = alerts.get(r.alert)!;
        const kept = JSON.parse(r.body) as Record<string, unknown>;
        // The original's id (a body kept by an earlier version has none: the same one, made now).
        const deliveryId = typeof kept.delivery_id === 'string' ? kept.delivery_id : runDeliveryId(r.run_id, r.alert);
        const body = { ...kept, delivery_id: deliveryId, sent_at: new Date(clock()).toISOString(), redelivery: r.round };
        // The run's count goes on from its recorded attempts, or from the row's when pruning removed them.
        const attempt = Math.max(r.tries, triesOf(project, r.run_id, r.alert)) + 1;
        let tries: AlertAttempt[];
        try {
          tries = await deliver(state, alert, r.run_id, JSON.stringify(body), { ...options, tries: 1, firstAttempt: attempt, deliveryId });
        } catch {
          // The attempt could not be recorded: the run was pruned meanwhile (its redelivery went with it), or the
          // state database is busy or full: left claimed, tried again once the claim runs out.
          return [];
        }
        const at = clock();
        if (options.signal?.aborted && !tries.some((a) => a.ok)) {
          await free(() => stopped.run(tries.length > 0 ? attempt : 0, r.run_id, r.alert, token));
          return tries;
        }
        if (tries.some((a) => a.ok)) {
          delivered++;
          // Delivered: forgotten whoever holds it now (a process that claimed it after ours ran out sends a duplicate, deduped by its delivery_id).
          await free(() => state.prepare('DELETE FROM alert_redeliveries WHERE run_id = ? AND alert = ?').run(r.run_id, r.alert));
        } else if (at + waitAfter(r.round + 1) > r.first_tried_at + windows.get(r.alert)!) {
          // The next round would come after the window: this failure was the last.
          failed++;
          givenUp++;
          await free(() => forget.run(r.run_id, r.alert, token));
          await free(() => countGivenUp(state, r.alert, 1));
        } else {
          failed++;
          await free(() => later.run(at + waitAfter(r.round + 1), r.round + 1, attempt, r.run_id, r.alert, token));
        }
        return tries;
      }),
    );
    attempts.push(...made.flat());
  }
  return { attempts, delivered, failed, given_up: givenUp, held_back: heldBack };
}
