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
import { ensureColumn, ensureTables, type StateDb } from '../state/state-db.js';

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
function ensureThrottleTable(db: StateDb): void {
  ensureTables(db, 'alert_throttle', DDL);
  ensureColumn(db, 'alert_throttle', 'claim', 'TEXT');
  ensureColumn(db, 'alert_throttle', 'claimed_until', 'INTEGER NOT NULL DEFAULT 0');
}

export type DeliverySlot =
  | {
      readonly send: true;
      /** Matches held back since the last delivery. */
      readonly suppressed: number;
      /** Give the slot back when the delivery failed (see `releaseDeliverySlot`). */
      readonly previous: { readonly lastSentAt: number; readonly suppressed: number; readonly takenAt: number } | null;
    }
  | { readonly send: false; /** When the last delivery was sent (ISO 8601). */ readonly lastSentAt: string };

/** Whether `alert` may deliver for `target` now; records the decision (one transaction). */
export function takeDeliverySlot(db: StateDb, alert: AlertConfig, target: string, now: number): DeliverySlot {
  const interval = storedDuration(alert.min_interval);
  if (interval <= 0) return { send: true, suppressed: 0, previous: null };
  ensureThrottleTable(db);
  return db.transaction((): DeliverySlot => {
    const row = db.prepare('SELECT last_sent_at, suppressed FROM alert_throttle WHERE alert = ? AND target = ?').get(alert.name, target) as
      | { last_sent_at: number; suppressed: number }
      | undefined;
    if (row && now - row.last_sent_at < interval && now >= row.last_sent_at) {
      db.prepare('UPDATE alert_throttle SET suppressed = suppressed + 1 WHERE alert = ? AND target = ?').run(alert.name, target);
      return { send: false, lastSentAt: new Date(row.last_sent_at).toISOString() };
    }
    // The row is replaced: a summary claim on it ends (this delivery reports its count; the summary, if it is on the
    // wire, then leaves the count alone).
    db.prepare('INSERT OR REPLACE INTO alert_throttle (alert, target, last_sent_at, suppressed) VALUES (?, ?, ?, 0)').run(alert.name, target, now);
    return { send: true, suppressed: row?.suppressed ?? 0, previous: { lastSentAt: row?.last_sent_at ?? 0, suppressed: row?.suppressed ?? 0, takenAt: now } };
  }).immediate();
}

/**
 * A delivery taken with `takeDeliverySlot` reached no one (every try failed): the interval starts from the
 * last delivery that did, and this match is counted as held back, so the next one is sent and reports it.
 */
export function releaseDeliverySlot(db: StateDb, alert: AlertConfig, target: string, slot: DeliverySlot): void {
  if (!slot.send || slot.previous === null) return;
  giveBack(db, alert, target, slot.previous.suppressed + 1, { takenAt: slot.previous.takenAt, restore: slot.previous.lastSentAt });
}

/**
 * Count `matches` back as held back for a target (added: matches held back meanwhile, by this or another
 * process, stay counted), and with `interval`, put its start back to `restore`, but only if no delivery took
 * the slot since `takenAt` (a later successful one keeps it).
 */
function giveBack(db: StateDb, alert: AlertConfig, target: string, matches: number, interval?: { takenAt: number; restore: number }): void {
  ensureThrottleTable(db);
  db.prepare('UPDATE alert_throttle SET last_sent_at = CASE WHEN last_sent_at = ? THEN ? ELSE last_sent_at END, suppressed = suppressed + ? WHERE alert = ? AND target = ?')
    .run(interval?.takenAt ?? null, interval?.restore ?? null, matches, alert.name, target);
}

/** Matches held back for one target whose interval has ended: claimed for a summary delivery. */
export interface HeldBackClaim {
  readonly target: string;
  /** When the last delivery went (ms); the held-back matches came after it. */
  readonly since: number;
  readonly suppressed: number;
  /** The claim's own time: the interval now runs from here. */
  readonly takenAt: number;
  /** Whose claim it is: only its holder settles it. */
  readonly token: string;
}

/**
 * The targets of `alert` with matches held back and an interval that has ended by `now`, each claimed in one
 * transaction for `holdMs` (as long as the summary's tries can take): of processes sweeping the same state
 * database, one sends each summary. The claim restarts the interval (a summary counts as a delivery) but leaves
 * the count: it is taken only once a try arrived (`settleHeldBack`). A claim whose process was killed runs out and
 * is taken over by the next sweep once the interval from it has ended too.
 */
export function claimHeldBack(db: StateDb, alert: AlertConfig, now: number, holdMs = 60_000): HeldBackClaim[] {
  const interval = storedDuration(alert.min_interval);
  if (interval <= 0) return [];
  ensureThrottleTable(db);
  const token = randomUUID();
  return db.transaction((): HeldBackClaim[] => {
    const rows = db
      .prepare('SELECT target, last_sent_at, suppressed FROM alert_throttle WHERE alert = ? AND suppressed > 0 AND last_sent_at <= ? AND claimed_until <= ?')
      .all(alert.name, now - interval, now) as { target: string; last_sent_at: number; suppressed: number }[];
    const claim = db.prepare('UPDATE alert_throttle SET last_sent_at = ?, claim = ?, claimed_until = ? WHERE alert = ? AND target = ?');
    for (const r of rows) claim.run(now, token, now + holdMs, alert.name, r.target);
    return rows.map((r) => ({ target: r.target, since: r.last_sent_at, suppressed: r.suppressed, takenAt: now, token }));
  }).immediate();
}

/**
 * A summary that arrived: its matches are no longer held back (those held back since its claim stay counted for the
 * next delivery). Nothing when the claim is no longer its own (a run's delivery took the slot and reported them).
 */
export function settleHeldBack(db: StateDb, alert: AlertConfig, claim: HeldBackClaim): void {
  ensureThrottleTable(db);
  db.prepare('UPDATE alert_throttle SET suppressed = max(0, suppressed - ?), claim = NULL, claimed_until = 0 WHERE alert = ? AND target = ? AND claim = ?')
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
  releaseHeldBack(db, alert, claim);
  giveBack(db, alert, claim.target, 0, { takenAt: claim.takenAt, restore: claim.since });
}

/**
 * Forget the intervals of alerts no longer configured with a min_interval (a name that comes back starts
 * afresh), once untouched for a week: a process started with an older featureguard.yaml must not forget
 * an alert just added.
 */
export function forgetUnconfigured(db: StateDb, alerts: readonly AlertConfig[], now = Date.now()): void {
  ensureThrottleTable(db);
  const names = alerts.filter((a) => storedDuration(a.min_interval) > 0).map((a) => a.name);
  db.prepare(`DELETE FROM alert_throttle WHERE last_sent_at < ? AND alert NOT IN (${names.map(() => '?').join(', ')})`).run(now - FORGET_AFTER_MS, ...names);
}

const FORGET_AFTER_MS = 7 * 86_400_000;
