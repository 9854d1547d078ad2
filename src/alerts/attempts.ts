/** Every webhook delivery attempt, recorded in the quality log (table `alert_attempts`). */
import type { Project } from '../project.js';
import { ensureColumn, ensureTables, type StateDb } from '../state/state-db.js';
import type { AlertAttempt } from './attempts-types.js';

const DDL = `
CREATE TABLE IF NOT EXISTS alert_attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  alert TEXT NOT NULL,
  url TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  status_code INTEGER,
  ok INTEGER NOT NULL,
  error TEXT,
  at TEXT NOT NULL,
  duration_ms REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_attempts_run ON alert_attempts (run_id, id);
`;

/**
 * For held-back summaries (heldBackRuns): an alert's attempts newest first, its arrived ones, whether a run's did
 * arrive (without reading all its tries), and those since a time. Apart, created by the summaries (which write):
 * reading the attempts of an earlier version's state database opened read-only must not create them.
 */
const HELD_BACK_DDL = `
CREATE INDEX IF NOT EXISTS alert_attempts_alert ON alert_attempts (alert, id);
CREATE INDEX IF NOT EXISTS alert_attempts_alert_ok ON alert_attempts (alert, id) WHERE ok = 1;
CREATE INDEX IF NOT EXISTS alert_attempts_run_ok ON alert_attempts (run_id, alert) WHERE ok = 1;
CREATE INDEX IF NOT EXISTS alert_attempts_alert_at ON alert_attempts (alert, at);
`;

/**
 * What the quality log keeps of a webhook URL: its scheme, host and port. Paths,
 * queries and user info often hold the hook's secret (a Slack or Teams hook is its
 * path), and the log is readable by every token with the read scope; the alert's
 * name says which hook it was.
 *
 * @example
 * webhookEndpoint('https://hooks.slack.com/services/T0/B0/XyZ'); // 'https://hooks.slack.com/…'
 */
export function webhookEndpoint(url: string): string {
  try {
    const u = new URL(url);
    const rest = (u.pathname !== '/' && u.pathname !== '') || u.search !== '' || u.hash !== '';
    return `${u.protocol}//${u.host}${rest ? '/…' : ''}`;
  } catch {
    return '(not a URL)';
  }
}

function db(state: StateDb): StateDb {
  ensureTables(state, 'alert_attempts', DDL);
  return state;
}

/**
 * The `min_interval` slot a run's deliveries of `alert` counted in, as recorded with its attempts (`recordAttempt`);
 * undefined for attempts of an earlier version (or none).
 */
export function recordedTarget(state: StateDb, runId: string, alert: string): string | undefined {
  // Asked, not added: it is read inside the redelivery's transaction, where `ensureColumn` must not run.
  const hasColumn = state.prepare("SELECT 1 FROM pragma_table_info('alert_attempts') WHERE name = 'target'").get() !== undefined;
  if (!hasColumn) return undefined;
  return (state.prepare('SELECT target FROM alert_attempts WHERE run_id = ? AND alert = ? AND target IS NOT NULL ORDER BY id DESC LIMIT 1').pluck().get(runId, alert) as string | undefined) ?? undefined;
}

/**
 * Record an attempt. `target` is the `min_interval` slot the delivery or held-back match counted in (`alertTarget`):
 * held-back summaries find their runs by it, since a run of a view two services of a `services:` alert consume
 * counts in one of them only. An earlier version's attempts have none (their target is then told by their run).
 */
export function recordAttempt(state: StateDb, a: AlertAttempt, target?: string): void {
  // A read-only database of an earlier version may lack the column: the attempt is recorded without it.
  const withTarget = target !== undefined && ensureColumn(db(state), 'alert_attempts', 'target', 'TEXT');
  db(state)
    .prepare(`INSERT INTO alert_attempts (run_id, alert, url, attempt, status_code, ok, error, at, duration_ms${withTarget ? ', target' : ''}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?${withTarget ? ', ?' : ''})`)
    .run(a.run_id, a.alert, webhookEndpoint(a.url), a.attempt, a.status_code, a.ok ? 1 : 0, a.error, a.at, a.duration_ms, ...(withTarget ? [target] : []));
}

/** The error of a try cut by the process stopping. */
export const INTERRUPTED = 'interrupted: the process stopped during this try';

/** Record the try in flight when the process was stopped (Ctrl-C, a second signal to serve) as interrupted. */
export function recordInterruptedTry(state: StateDb, alert: { name: string; url: string }, runId: string, attempt: number, note?: string): void {
  recordAttempt(state, {
    run_id: runId, alert: alert.name, url: alert.url, attempt, status_code: null, ok: false,
    error: note ? `${note}: ${INTERRUPTED}` : INTERRUPTED, at: new Date().toISOString(), duration_ms: 0,
  });
}

/**
 * Record a min_interval delivery about to be tried as held back (attempt 0) until a try arrives or fails
 * (`forgetPending`): a process killed meanwhile leaves it on the run, which the next held-back summary then lists.
 * Returns its id.
 */
export function recordPending(state: StateDb, alert: { name: string; url: string }, runId: string, target?: string): number {
  recordAttempt(state, { run_id: runId, alert: alert.name, url: alert.url, attempt: 0, status_code: null, ok: false, error: PENDING, at: new Date().toISOString(), duration_ms: 0 }, target);
  return Number(state.prepare('SELECT last_insert_rowid()').pluck().get());
}

const PENDING = 'delivery begun, no try arrived: its process was killed while delivering (or still is); counted in the next delivery or held-back summary';

/** The delivery recorded by `recordPending` got its tries (recorded on their own). */
export function forgetPending(state: StateDb, id: number): void {
  db(state).prepare('DELETE FROM alert_attempts WHERE id = ? AND attempt = 0').run(id);
}

/** Delivery attempts of a run's alerts, in order. */
export function listAlertAttempts(project: Pick<Project, 'state'>, runId: string): AlertAttempt[] {
  const rows = db(project.state).prepare('SELECT * FROM alert_attempts WHERE run_id = ? ORDER BY id').all(runId) as (Omit<AlertAttempt, 'ok'> & { ok: number })[];
  // Attempts recorded before URLs were cut to their endpoint are cut on the way out (cutting is idempotent).
  return rows.map((r) => ({ run_id: r.run_id, alert: r.alert, url: webhookEndpoint(r.url), attempt: r.attempt, status_code: r.status_code, ok: r.ok === 1, error: r.error, at: r.at, duration_ms: r.duration_ms }));
}

/** How many tries a run's alert has had (held-back entries, attempt 0, are not tries): the next try is this + 1. */
export function triesOf(project: Pick<Project, 'state'>, runId: string, alert: string): number {
  return listAlertAttempts(project, runId).filter((a) => a.alert === alert && a.attempt > 0).length;
}

/** A run whose match of an alert reached no one (held back by `min_interval`, or every try failed). */
export interface HeldBackRun {
  id: string;
  kind: string;
  view: string | null;
  service: string | null;
  status: string;
  started_at: string;
}

/** What a held-back summary reports: since when nothing reached the receiver, and which runs. */
export interface HeldBack {
  /** The last delivery that reached the receiver for this alert and target (ISO 8601), or null if none did. */
  readonly since: string | null;
  /** The runs whose matches reached no one since then, oldest first (at most the latest `limit`). */
  readonly runs: HeldBackRun[];
}

/**
 * What an alert's `min_interval` counts per: `service:NAME`, `view:NAME`, or `project` for runs of neither. For an
 * alert with `services`, `services` are those the run matched through (its own, or those consuming its view): the
 * first of them, so a model's retraining trigger is throttled per service whichever of its views drifted.
 */
export function alertTarget(run: { readonly service: string | null; readonly view: string | null }, services: readonly string[] = []): string {
  return services.length > 0 ? `service:${services[0]}` : run.service ? `service:${run.service}` : run.view ? `view:${run.view}` : 'project';
}

/** `alertTarget` in SQL, over runs `r`. */
const TARGET_OF_RUN = "(CASE WHEN r.service IS NOT NULL THEN 'service:' || r.service WHEN r.view IS NOT NULL THEN 'view:' || r.view ELSE 'project' END)";

/**
 * Attempts `a` (of runs `r`) counted in @target: by the target recorded with the attempt; for an earlier version's
 * attempts (none recorded), runs of @target or of the views in @views (a JSON list): a `services:` alert counts the
 * runs of the views a service consumes under `service:NAME` (see `alertTarget`).
 */
const OF_TARGET = `(a.target = @target OR (a.target IS NULL AND (${TARGET_OF_RUN} = @target OR (r.service IS NULL AND r.view IN (SELECT value FROM json_each(@views))))))`;

/**
 * The try that began the last delivery of @alert for @target that arrived: its time and id. Among that run's
 * attempts (with the alert's index SQLite would read the alert's older attempts of every run).
 */
export const LAST_ARRIVED_SQL = `
  WITH ok AS (SELECT a.id, a.run_id FROM alert_attempts a JOIN runs r ON r.id = a.run_id
              WHERE a.alert = @alert AND a.ok = 1 AND ${OF_TARGET} ORDER BY a.id DESC LIMIT 1)
  SELECT b.at, b.id FROM ok, alert_attempts b INDEXED BY alert_attempts_run WHERE b.run_id = ok.run_id AND b.alert = @alert AND b.attempt = 1 AND b.id <= ok.id
  ORDER BY b.id DESC LIMIT 1`;

/**
 * Attempts of @alert since @since (from attempt @fromId: none before it began then) on runs of @target whose matches
 * reached no one, newest first: read until enough runs are found, along the (alert, id) index (and whether a run's
 * match arrived by the run's arrived tries, not along all the alert's arrived ones, nor all the run's tries).
 */
export const HELD_BACK_ATTEMPTS_SQL = `
  SELECT r.id, r.kind, r.view, r.service, r.status, r.started_at FROM alert_attempts a INDEXED BY alert_attempts_alert JOIN runs r ON r.id = a.run_id
  WHERE a.alert = @alert AND a.id >= @fromId AND a.at >= @since AND ${OF_TARGET}
    AND NOT EXISTS (SELECT 1 FROM alert_attempts b INDEXED BY alert_attempts_run_ok WHERE b.run_id = a.run_id AND b.alert = a.alert AND b.ok = 1)
  ORDER BY a.id DESC`;

/** The first attempt of @alert that began at or after @since. */
export const FIRST_SINCE_SQL = 'SELECT min(id) FROM alert_attempts WHERE alert = @alert AND at >= @since';

/**
 * The runs whose matches of `alert` for `target` (`view:NAME`, `service:NAME` or `project`; with `views`, the
 * service's runs and those of the views it consumes) reached no one
 * (held back, or failed on every try) since the last delivery that did. Taken from the attempts themselves, so a
 * summary that failed and is retried lists the same runs again. Read newest first by index and only until `limit`
 * runs are found: with the receiver down, every try of every run piles up (and the sweep reads synchronously).
 */
export function heldBackRuns(state: StateDb, alert: string, target: string, limit = 100, views: readonly string[] = []): HeldBack {
  const of = { alert, target, views: JSON.stringify(views) };
  // The last delivery that arrived took its slot when its first try began (its retries came later, and matches
  // held back meanwhile are after that): since then.
  ensureTables(db(state), 'alert_attempts_held_back', HELD_BACK_DDL);
  ensureColumn(state, 'alert_attempts', 'target', 'TEXT');
  const last = state.prepare(LAST_ARRIVED_SQL).get(of) as { at: string; id: number } | undefined;
  const since = last?.at ?? null;
  const fromId = since === null ? 0 : (state.prepare(FIRST_SINCE_SQL).pluck().get({ alert, since }) as number | null);
  const runs = new Map<string, HeldBackRun>();
  if (fromId !== null && limit !== 0) {
    // Newest attempt first: a run comes at its newest attempt (the order of the summary).
    for (const r of state.prepare(HELD_BACK_ATTEMPTS_SQL).iterate({ ...of, since: since ?? '', fromId }) as IterableIterator<HeldBackRun>) {
      if (!runs.has(r.id)) runs.set(r.id, r);
      if (runs.size === limit) break;
    }
  }
  return { since, runs: [...runs.values()].reverse() };
}
