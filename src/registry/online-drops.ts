/**
 * Pending drops of online values (`online_drops_pending` in the state database):
 * a view removed or changed in a breaking way by an apply, whose online values
 * must go. The registry and the online store cannot change in one transaction,
 * so a drop is recorded first and removed from here only once the values are
 * gone (`dropPendingView`).
 *
 * A drop takes the view's materialization lease, so it never runs beside a
 * materialization's write (another drop holding it is waited for). When a
 * materialization holds the lease, the drop is deferred to it: that run writes
 * nothing if the drop was requested before its write, and drops what it wrote if
 * the request came during the write (its run then fails, saying why). A pending
 * drop left from before a materialization started is done when it starts, before
 * it reads anything. And when a run has given its lease back, it drops what is
 * still pending for its view: an apply that found the lease held after the run's
 * last check is covered too (that run ends `success`, its values dropped after).
 * A run that never finishes (its process died) leaves the drop pending until its
 * lease expires; then a running `serve` (`dropPendingViews`, every 15 s) or the
 * next apply or materialization of the view does it. A push writing the view is
 * deferred to in the same way (`online-writes.ts`): it drops what it wrote when
 * it sees the change, and if its process dies, its registration expires.
 *
 * Each request gives the row a new random `token`; a drop clears the row only
 * if its token is still the one read before the drop began (a request that came
 * meanwhile stands for values that may have been written after the drop began).
 * Until the row is cleared, online reads answer `NOT_FOUND` for the view
 * (`viewsWithPendingDrops`, within 50 ms in other processes): values of the old
 * definition are not served. An apply records its drops in the registry's own
 * transaction, so a crash after its commit cannot lose them.
 */
import { sendDueAlerts } from '../alerts/dispatch.js';
import { randomUUID } from 'node:crypto';
import { ConflictError } from '../errors.js';
import { allDefinitions } from '../definitions/definition-set.js';
import type { Definition, DefinitionSet } from '../definitions/types.js';
import { forgetIntervals } from '../materialize/intervals.js';
import { acquireLeasesWhenFree } from '../materialize/lease.js';
import type { Project } from '../project.js';
import { ensureColumn, ensureTables, hasTable, writeWhenFree, type StateDb } from '../state/state-db.js';
import { ensureViewHistoryTable, restartViewHistory } from '../runs/view-history.js';
import { liveOnlineWrites } from './online-writes.js';
import { computePlan } from './plan.js';

const DDL = `
CREATE TABLE IF NOT EXISTS online_drops_pending (
  view TEXT PRIMARY KEY,
  requested_at TEXT NOT NULL,
  last_error TEXT,
  token TEXT
);
`;

/** The table (call it outside transactions), with `token` added to one created by an earlier version. */
export function ensureDropTable(db: StateDb): void {
  ensureTables(db, 'online_drops_pending', DDL);
  ensureColumn(db, 'online_drops_pending', 'token', 'TEXT');
}

/**
 * Whether `view` lost its online values between the definitions `before` and
 * the registry's current ones (removed, or changed in a breaking way): a writer
 * that validated rows against `before` must not leave them online.
 */
export function droppedSince(project: Project, before: DefinitionSet, view: string): boolean {
  const now = project.registry.current();
  if (now === before) return false;
  const desired = allDefinitions(now);
  return computePlan(allDefinitions(before), desired).drops.includes(view);
}

/** Record that the online values of `views` must be dropped (kept until they are). */
export function requestDrops(db: StateDb, views: readonly string[]): void {
  if (views.length === 0) return;
  ensureDropTable(db);
  const record = db.prepare('INSERT INTO online_drops_pending (view, requested_at, token) VALUES (?, ?, ?) ON CONFLICT (view) DO UPDATE SET token = excluded.token');
  const now = new Date().toISOString();
  db.transaction(() => views.forEach((v) => record.run(v, now, randomUUID()))).immediate();
  readCache.delete(db);
}

/**
 * `requestDrops` outside a transaction, waiting for another process's write lock on a timer (`writeWhenFree`)
 * rather than in SQLite's synchronous busy wait: a server's push or materialization goes on answering requests.
 */
export async function requestDropsWhenFree(db: StateDb, views: readonly string[]): Promise<void> {
  await writeWhenFree(db, () => requestDrops(db, views));
}

/** Views whose drop is still pending, sorted. */
export function pendingDrops(db: StateDb): string[] {
  ensureDropTable(db);
  return db.prepare('SELECT view FROM online_drops_pending ORDER BY view').pluck().all() as string[];
}

export function isDropPending(db: StateDb, view: string): boolean {
  ensureDropTable(db);
  return db.prepare('SELECT 1 FROM online_drops_pending WHERE view = ?').get(view) !== undefined;
}

/** Note why a pending drop could not be done (shown by the next apply's error). */
export function noteDropFailure(db: StateDb, view: string, error: string): void {
  ensureDropTable(db);
  db.prepare('UPDATE online_drops_pending SET last_error = ? WHERE view = ?').run(error, view);
}

/**
 * Drop a view's online values and forget its materialized windows, then clear
 * its pending drop, unless a push is registered as writing the view
 * (`online-writes.ts`: its rows may still land; the drop stays pending and that
 * push, or a later retry, drops again). Nothing happens when no drop is pending
 * (another process did it meanwhile: values written since follow the current
 * definition). The caller holds the view's lease. Throws (and leaves the drop
 * pending) when the store fails.
 */
export async function dropPendingView(project: Project, view: string): Promise<void> {
  const db = project.state;
  ensureDropTable(db);
  const row = db.prepare('SELECT token FROM online_drops_pending WHERE view = ?').get(view) as { token: string | null } | undefined;
  if (!row) return;
  const store = await project.onlineStore();
  await store.dropView(view);
  // Read before the transaction (it may create its table: no DDL inside a transaction).
  const pushing = (await liveOnlineWrites(db, view)) > 0;
  const checksums = hasTable(db, 'guard_partitions');
  ensureViewHistoryTable(db);
  await writeWhenFree(db, () => db.transaction(() => {
    forgetIntervals(db, view);
    // The tamper check's day checksums too: the view starts afresh, its history is not compared with the old one's
    // (nor its runs: the drift reference `previous` and the volume history start again from here).
    if (checksums) db.prepare('DELETE FROM guard_partitions WHERE view = ?').run(view);
    restartViewHistory(db, view);
    // A request that came while the store dropped stays (what it stands for may have been written meanwhile).
    if (!pushing) db.prepare('DELETE FROM online_drops_pending WHERE view = ? AND token IS ?').run(view, row.token);
  }).immediate());
  readCache.delete(db);
}

/**
 * Drop a pending view's values under its lease: `dropped`; `deferred` when a
 * materialization holds the lease or a push is writing the view (that writer
 * drops them; see `online-writes.ts`); `pending` when another
 * drop held it for `waitMs` or requests kept coming (the row stays: reads
 * answer NOT_FOUND, and a running `serve` or the next apply or materialization
 * drops). Throws when
 * the store fails; the drop then stays pending.
 */
export async function dropUnlessMaterializing(project: Project, view: string, waitMs = DROP_WAIT_MS): Promise<'dropped' | 'deferred' | 'pending'> {
  const owner = `drop-${process.pid}-${randomUUID().slice(0, 8)}`;
  const until = Date.now() + waitMs;
  // Materializations of a stopped process that held the lease are failed as it is taken: their alerts.
  let orphanAlerts: Promise<void> = Promise.resolve();
  for (;;) {
    let lease;
    try {
      [lease] = await acquireLeasesWhenFree(project.state, [view], owner, { onFailedRuns: () => void (orphanAlerts = sendDueAlerts(project)) });
    } catch (e) {
      if (!(e instanceof ConflictError && e.code === 'online_drop_running')) {
        if (e instanceof ConflictError && e.code === 'materialization_running') return 'deferred';
        throw e;
      }
      // Another drop (an apply's or a push's) is short: wait for it, then drop what is still pending.
      if (Date.now() >= until) return 'pending';
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    try {
      // Again when a request came during the drop (its values may have been written after the drop began).
      for (let i = 0; i < 3; i++) {
        // Done meanwhile by another process (while this one waited for the lease, or worked through a list).
        if (!isDropPending(project.state, view)) return 'dropped';
        // A push writing the view drops the values itself when it ends (`online-writes.ts`).
        if ((await liveOnlineWrites(project.state, view)) > 0) return 'deferred';
        await dropPendingView(project, view);
        if (!isDropPending(project.state, view)) return 'dropped';
      }
      return 'pending';
    } finally {
      await lease.release();
      await orphanAlerts;
    }
  }
}

/**
 * Best effort, for a writer that has let go of the view (released its lease,
 * ended its push registration): do the view's pending drop, if any. Whatever
 * cannot be done now (the store fails, another writer holds the view) stays
 * pending for that writer, a running `serve` or the next apply or materialization.
 */
export async function dropIfPending(project: Project, view: string): Promise<void> {
  try {
    if (isDropPending(project.state, view)) await dropUnlessMaterializing(project, view);
  } catch {
    // stays pending (see above)
  }
}

/** How long a drop waits for another drop of the same view (they take milliseconds to seconds). */
const DROP_WAIT_MS = 30_000;

const readCache = new WeakMap<StateDb, { at: number; views: ReadonlySet<string> }>();

/**
 * Views whose drop is pending, read at most every `maxAgeMs` (the online read
 * path asks on every request; a request or drop in this process is seen at once).
 */
export function viewsWithPendingDrops(db: StateDb, maxAgeMs: number): ReadonlySet<string> {
  const now = performance.now();
  const hit = readCache.get(db);
  if (hit && now - hit.at <= maxAgeMs) return hit.views;
  const views = new Set(pendingDrops(db));
  readCache.set(db, { at: now, views });
  return views;
}

/** What a pass over the pending drops did with each view (`dropUnlessMaterializing`'s outcome, or the store's error). */
export interface PendingDropsPass {
  readonly dropped: string[];
  readonly deferred: string[];
  readonly pending: string[];
  readonly failed: { view: string; error: string; cause: unknown }[];
}

/**
 * Try every pending drop once: an apply does (waiting up to 30 s for another
 * drop of a view), and `serve` every 15 s without waiting, so a drop left by a
 * run whose process died is done once its lease expires. Store failures are
 * returned, not thrown.
 */
export async function dropPendingViews(project: Project, waitMs = DROP_WAIT_MS): Promise<PendingDropsPass> {
  const out: PendingDropsPass = { dropped: [], deferred: [], pending: [], failed: [] };
  for (const view of pendingDrops(project.state)) {
    try {
      out[await dropUnlessMaterializing(project, view, waitMs)].push(view);
    } catch (e) {
      out.failed.push({ view, error: (e as Error).message, cause: e });
    }
  }
  return out;
}

/**
 * The 409 `online_drop_pending` of a writer that found the view's drop still
 * pending (values written now would go with it): `why` says what keeps it
 * pending, `retry` what to do again in a moment.
 */
export function dropPendingError(view: string, why: string, retry: string): ConflictError {
  return new ConflictError(`the online values of feature view '${view}' are being dropped after an apply ${why}; ${retry} again in a moment`, { view }, 'online_drop_pending');
}

/**
 * The 409 `view_changed` of a writer (a materialization, a push) that an apply
 * outran: `during` says what it was doing, `what` what became of its rows.
 */
export function viewChangedError(view: string, during: string, what: string): ConflictError {
  return new ConflictError(`feature view '${view}' was removed or changed in a breaking way by an apply while ${during}; ${what}`, { view }, 'view_changed');
}
