/**
 * `min_interval` of an alert: at most one delivery per alert and view/service
 * within the interval, across processes (the state database keeps when each was
 * last sent). A match inside the interval is not sent; it is counted, and the next
 * delivery says how many were held back (`suppressed`). A push storm of rows a
 * client keeps getting wrong then pages once, not once per request.
 *
 * @example
 * const slot = takeDeliverySlot(db, alert, 'view:airport_hourly', Date.now());
 * if (slot.send) post({ ...payload, suppressed: slot.suppressed });
 */
import { randomUUID } from 'node:crypto';
import { storedDuration } from '../definitions/ttl.js';
import type { AlertConfig } from '../definitions/types.js';
import { ensureColumn, ensureTables, hasTable, type StateDb } from '../state/state-db.js';
import { countGivenUp } from './given-up.js';

const DDL = `
CREATE TABLE IF NOT EXISTS alert_throttle (
  alert TEXT NOT NULL,
  target TEXT NOT NULL,
  last_sent_at INTEGER NOT NULL,
  suppressed INTEGER NOT NULL,
  claim TEXT,
  claimed_until INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (alert, target)
);
`;

/** The table (call it outside transactions), with the summary claim's columns added to one made by an earlier version. */
export function ensureThrottleTable(db: StateDb): void {
  ensureTables(db, 'alert_throttle', DDL);
  ensureColumn(db, 'alert_throttle', 'claim', 'TEXT');
  ensureColumn(db, 'alert_throttle', 'claimed_until', 'INTEGER NOT NULL DEFAULT 0');
  // Since when the target's deliveries have not arrived: set when one is taken (a run's or a summary's), cleared
  // when one arrives (null: the last one arrived, or none was tried). `undeliveredHeldBack` reads it.
  ensureColumn(db, 'alert_throttle', 'failing_since', 'INTEGER');
}

export type DeliverySlot =
  | {
      readonly send: true;
      /** Matches held back since the last delivery. */
      readonly suppressed: number;
      /** The delivery's claim on the slot, to settle (`settleDeliverySlot`) or give back (`releaseDeliverySlot`); null without min_interval. */
      readonly claim: DeliveryClaim | null;
    }
  | { readonly send: false; /** When the last delivery was sent (ISO 8601). */ readonly lastSentAt: string };

export interface DeliveryClaim {
  /** Whose claim it is: only its holder settles or gives it back. */
  readonly token: string;
  readonly takenAt: number;
  /** Where the interval started before (ms; 0: no delivery that counts). */
  readonly lastSentAt: number;
}

/** Whether `alert` throttles its deliveries: a `min_interval` longer than 0 (`0`, which the loader keeps as `'0'`, sends every match). */
export function throttles(alert: Pick<AlertConfig, 'min_interval'>): boolean {
  return storedDuration(alert.min_interval) > 0;
}

/**
 * Whether a process with `alerts` has held-back matches to sweep: an alert throttles, or one did (the table is
 * there: an alert whose min_interval was removed since may have matches held back, sent at once).
 */
export function heldBackToSweep(db: StateDb, alerts: readonly AlertConfig[]): boolean {
  return alerts.some(throttles) || hasTable(db, 'alert_throttle');
}

/**
 * Whether `alert` may deliver for `target` now; records the decision (one transaction). A delivery takes the slot
 * with a claim held for `holdMs` (as long as its tries can take), and its match counts as held back until a try
 * arrives: a process killed while delivering (kill -9, out of memory) leaves it counted, and once the claim has run
 * out the slot counts as free (nothing arrived), so the next match or held-back summary reports it.
 */
export function takeDeliverySlot(db: StateDb, alert: AlertConfig, target: string, now: number, holdMs = 60_000): DeliverySlot {
  const interval = storedDuration(alert.min_interval);
  if (!throttles(alert)) return { send: true, suppressed: 0, claim: null };
  ensureThrottleTable(db);
  return db.transaction((): DeliverySlot => {
    const row = db.prepare('SELECT last_sent_at, suppressed, claim, claimed_until FROM alert_throttle WHERE alert = ? AND target = ?').get(alert.name, target) as
      | { last_sent_at: number; suppressed: number; claim: string | null; claimed_until: number }
      | undefined;
    // A claim run out: its delivery (or summary) was killed before a try arrived, so it does not hold the interval.
    const dead = row !== undefined && row.claim !== null && row.claimed_until <= now;
    if (row && !dead && now - row.last_sent_at < interval && now >= row.last_sent_at) {
      db.prepare('UPDATE alert_throttle SET suppressed = suppressed + 1 WHERE alert = ? AND target = ?').run(alert.name, target);
      return { send: false, lastSentAt: new Date(row.last_sent_at).toISOString() };
    }
    // A summary claim on the row ends (this delivery reports its count; the summary, if it is on the wire, then
    // leaves the count alone).
    const token = randomUUID();
    db.prepare(
      `INSERT INTO alert_throttle (alert, target, last_sent_at, suppressed, claim, claimed_until, failing_since) VALUES (?, ?, ?, 1, ?, ?, ?)
       ON CONFLICT (alert, target) DO UPDATE SET last_sent_at = excluded.last_sent_at, suppressed = suppressed + 1, claim = excluded.claim,
         claimed_until = excluded.claimed_until, failing_since = coalesce(failing_since, excluded.failing_since)`,
    ).run(alert.name, target, now, token, now + holdMs, now);
    return { send: true, suppressed: row?.suppressed ?? 0, claim: { token, takenAt: now, lastSentAt: row && !dead ? row.last_sent_at : 0 } };
  }).immediate();
}

/**
 * A delivery taken with `takeDeliverySlot` arrived: its match and those it reported are no longer held back
 * (matches held back meanwhile stay counted). Nothing when another delivery took the slot since (it reports them).
 */
export function settleDeliverySlot(db: StateDb, alert: AlertConfig, target: string, slot: DeliverySlot): void {
  if (!slot.send || slot.claim === null) return;
  ensureThrottleTable(db);
  db.prepare('UPDATE alert_throttle SET suppressed = max(0, suppressed - ?), claim = NULL, claimed_until = 0, failing_since = NULL WHERE alert = ? AND target = ? AND claim = ?')
    .run(slot.suppressed + 1, alert.name, target, slot.claim.token);
}

/**
 * A delivery taken with `takeDeliverySlot` reached no one (every try failed, or it was interrupted): the interval
 * starts from the last delivery that did, and its match stays counted as held back, so the next one is sent and
 * reports it. Nothing when another delivery took the slot since.
 */
export function releaseDeliverySlot(db: StateDb, alert: AlertConfig, target: string, slot: DeliverySlot): void {
  if (!slot.send || slot.claim === null) return;
  ensureThrottleTable(db);
  db.prepare('UPDATE alert_throttle SET last_sent_at = ?, claim = NULL, claimed_until = 0 WHERE alert = ? AND target = ? AND claim = ?')
    .run(slot.claim.lastSentAt, alert.name, target, slot.claim.token);
}

/**
 * Put the interval's start back to `restore` for a target, but only if no delivery took the slot since `takenAt`
 * (a later successful one keeps it).
 */
function giveBack(db: StateDb, alert: AlertConfig, target: string, interval: { takenAt: number; restore: number }): void {
  ensureThrottleTable(db);
  db.prepare('UPDATE alert_throttle SET last_sent_at = ? WHERE last_sent_at = ? AND alert = ? AND target = ?').run(interval.restore, interval.takenAt, alert.name, target);
}

/** Matches held back for one target whose interval has ended: claimed for a summary delivery. */
export interface HeldBackClaim {
  readonly target: string;
  /** When the last delivery went (ms; 0 after a claim that ran out); the held-back matches came after it. */
  readonly since: number;
  readonly suppressed: number;
  /** The claim's own time: the interval now runs from here. */
  readonly takenAt: number;
  /** Whose claim it is: only its holder settles it. */
  readonly token: string;
  /** The target's `failing_since` before the claim (put back by `unclaimHeldBack`). */
  readonly failingSince: number | null;
}

/**
 * The targets of `alert` with matches held back and an interval that has ended by `now`, each claimed in one
 * transaction for `holdMs` (as long as the summary's tries can take): of processes sweeping the same state
 * database, one sends each summary. The claim restarts the interval (a summary counts as a delivery) but leaves
 * the count: it is taken only once a try arrived (`settleHeldBack`). A claim whose process was killed (a summary's,
 * or a run delivery's) runs out and is taken over by the next sweep: nothing arrived, so no interval holds. An alert
 * that no longer throttles (its `min_interval` removed or set to 0) has its held-back matches claimed at once.
 */
export function claimHeldBack(db: StateDb, alert: AlertConfig, now: number, holdMs = 60_000): HeldBackClaim[] {
  // An alert whose min_interval was removed or set to 0 has no interval left to wait for: what it held back is due now.
  const interval = Math.max(0, storedDuration(alert.min_interval));
  if (interval <= 0 && !hasTable(db, 'alert_throttle')) return [];
  ensureThrottleTable(db);
  const token = randomUUID();
  return db.transaction((): HeldBackClaim[] => {
    // A claim that ran out (its delivery or summary killed before a try arrived) holds no interval: due at once.
    const rows = db
      .prepare(
        `SELECT target, CASE WHEN claim IS NULL THEN last_sent_at ELSE 0 END AS since, suppressed, failing_since FROM alert_throttle
         WHERE alert = ? AND suppressed > 0 AND claimed_until <= ? AND (last_sent_at <= ? OR claim IS NOT NULL)`,
      )
      .all(alert.name, now, now - interval) as { target: string; since: number; suppressed: number; failing_since: number | null }[];
    const claim = db.prepare('UPDATE alert_throttle SET last_sent_at = ?, claim = ?, claimed_until = ?, failing_since = coalesce(failing_since, ?) WHERE alert = ? AND target = ?');
    for (const r of rows) claim.run(now, token, now + holdMs, now, alert.name, r.target);
    return rows.map((r) => ({ target: r.target, since: r.since, suppressed: r.suppressed, takenAt: now, token, failingSince: r.failing_since }));
  }).immediate();
}

/**
 * Count a delivery kept for redelivery before its alert got a `min_interval` (which is not redelivered) as held back
 * for `target`, reported by the next delivery or held-back summary. Nothing delivered since counts for the interval,
 * so the summary is due at once. Call `ensureThrottleTable` first (outside the transaction).
 */
export function foldIntoHeldBack(db: StateDb, alert: string, target: string, now: number): void {
  db.prepare(
    `INSERT INTO alert_throttle (alert, target, last_sent_at, suppressed, claim, claimed_until, failing_since) VALUES (?, ?, 0, 1, NULL, 0, ?)
     ON CONFLICT (alert, target) DO UPDATE SET suppressed = suppressed + 1, failing_since = coalesce(failing_since, excluded.failing_since)`,
  ).run(alert, target, now);
}

/**
 * Matches held back for `target` by a `min_interval` the alert no longer has (removed, or set to 0): claimed for the
 * run delivery about to go, which reports them (`suppressed`) as a held-back summary would; settle it
 * (`settleHeldBack`) once a try arrived, release it (`releaseHeldBack`) otherwise. null when there are none, when the
 * alert throttles (its slot reports them), or when a summary holds them.
 */
export function claimLeftoverHeldBack(db: StateDb, alert: AlertConfig, target: string, now: number, holdMs = 60_000): HeldBackClaim | null {
  if (throttles(alert) || !hasTable(db, 'alert_throttle')) return null;
  ensureThrottleTable(db);
  return db.transaction((): HeldBackClaim | null => {
    const row = db
      .prepare('SELECT last_sent_at, suppressed, claim, failing_since FROM alert_throttle WHERE alert = ? AND target = ? AND suppressed > 0 AND claimed_until <= ?')
      .get(alert.name, target, now) as { last_sent_at: number; suppressed: number; claim: string | null; failing_since: number | null } | undefined;
    if (!row) return null;
    const token = randomUUID();
    db.prepare('UPDATE alert_throttle SET claim = ?, claimed_until = ?, failing_since = coalesce(failing_since, ?) WHERE alert = ? AND target = ?').run(token, now + holdMs, now, alert.name, target);
    return { target, since: row.claim === null ? row.last_sent_at : 0, suppressed: row.suppressed, takenAt: now, token, failingSince: row.failing_since };
  }).immediate();
}

/**
 * A summary that arrived: its matches are no longer held back (those held back since its claim stay counted for the
 * next delivery). Nothing when the claim is no longer its own (a run's delivery took the slot and reported them).
 */
export function settleHeldBack(db: StateDb, alert: AlertConfig, claim: HeldBackClaim): void {
  ensureThrottleTable(db);
  db.prepare('UPDATE alert_throttle SET suppressed = max(0, suppressed - ?), claim = NULL, claimed_until = 0, failing_since = NULL WHERE alert = ? AND target = ? AND claim = ?')
    .run(claim.suppressed, alert.name, claim.target, claim.token);
}

/**
 * A summary that reached no one (or was interrupted): the claim ends, its matches stay held back and are counted in
 * the next delivery. The interval still runs from the claim, so a receiver that is down gets one summary try per
 * interval.
 */
export function releaseHeldBack(db: StateDb, alert: AlertConfig, claim: HeldBackClaim): void {
  ensureThrottleTable(db);
  db.prepare('UPDATE alert_throttle SET claim = NULL, claimed_until = 0 WHERE alert = ? AND target = ? AND claim = ?').run(alert.name, claim.target, claim.token);
}

/**
 * A claim with nothing to report (its runs were pruned meanwhile): put back as it was, its count kept for the
 * next delivery and the interval back to the last delivery unless taken since.
 */
export function unclaimHeldBack(db: StateDb, alert: AlertConfig, claim: HeldBackClaim): void {
  ensureThrottleTable(db);
  db.prepare('UPDATE alert_throttle SET failing_since = ? WHERE alert = ? AND target = ? AND claim = ?').run(claim.failingSince, alert.name, claim.target, claim.token);
  releaseHeldBack(db, alert, claim);
  giveBack(db, alert, claim.target, { takenAt: claim.takenAt, restore: claim.since });
}

/**
 * Per alert of `names` (its min_interval ones): the matches held back on targets whose last delivery (a run's or a
 * summary's) has not arrived (in flight, failed, or its process killed), and since when (ms). A storm held back
 * while deliveries arrive is not counted: only a receiver that does not get them is.
 */
export function undeliveredHeldBack(db: StateDb, names: readonly string[]): { alert: string; count: number; since: number }[] {
  if (names.length === 0 || !hasTable(db, 'alert_throttle')) return [];
  // A table of an earlier version that a read-only reader cannot add the column to: nothing to tell.
  if (!ensureColumn(db, 'alert_throttle', 'failing_since', 'INTEGER')) return [];
  return db
    .prepare(
      `SELECT alert, sum(suppressed) AS count, min(failing_since) AS since FROM alert_throttle
       WHERE failing_since IS NOT NULL AND suppressed > 0 AND alert IN (${names.map(() => '?').join(', ')}) GROUP BY alert ORDER BY alert`,
    )
    .all(...names) as { alert: string; count: number; since: number }[];
}

/**
 * Forget the intervals of alerts no longer configured with a min_interval (a name that comes back starts
 * afresh), once untouched for a week: a process started with an older featureguard.yaml must not forget
 * an alert just added. Matches still held back by an alert no longer configured (renamed, removed) are counted as
 * given up (`featureguard_alert_given_up_total`); those of an alert still configured without a min_interval are
 * kept until its next delivery or summary reports them.
 */
export function forgetUnconfigured(db: StateDb, alerts: readonly AlertConfig[], now = Date.now()): void {
  ensureThrottleTable(db);
  const names = alerts.filter(throttles).map((a) => a.name);
  const configured = alerts.map((a) => a.name);
  const which = `FROM alert_throttle WHERE last_sent_at < ? AND alert NOT IN (${names.map(() => '?').join(', ')})
    AND (suppressed = 0 OR alert NOT IN (${configured.map(() => '?').join(', ')}))`;
  const args = [now - FORGET_AFTER_MS, ...names, ...configured];
  db.transaction(() => {
    for (const r of db.prepare(`SELECT alert, sum(suppressed) AS n ${which} GROUP BY alert`).all(...args) as { alert: string; n: number }[]) countGivenUp(db, r.alert, r.n);
    db.prepare(`DELETE ${which}`).run(...args);
  }).immediate();
}

const FORGET_AFTER_MS = 7 * 86_400_000;
