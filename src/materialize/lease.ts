/**
 * Materialization leases in the state database: at most one materialization of a
 * view runs at a time, across processes. A lease names its owner (the process's
 * materialization id), pid and host (with its pid namespace: see `processHost`) and
 * expires unless its holder renews it, so a crashed process does not lock a view
 * forever (a lease held by a dead pid of this host and pid namespace is taken over at once). Taking a view's lease over also closes the runs the
 * stopped process left `running`: they become `failed`, saying why.
 */
import { ConflictError } from '../errors.js';
import { ensureRunTables, failRunningRuns, runningRunIds } from '../runs/run-store.js';
import { ensureTables, writeWhenFree, writeWithoutWaiting, type StateDb } from '../state/state-db.js';
import { isThisHost, processAlive, processHost } from '../state/process-host.js';

const DDL = `
CREATE TABLE IF NOT EXISTS materialization_leases (
  view TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  acquired_at TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
`;

/** A lease lasts this long without renewal. */
export const LEASE_TTL_MS = 60_000;
const RENEW_EVERY_MS = 10_000;

export interface Lease {
  readonly view: string;
  readonly owner: string;
  /** Whether this owner still holds the lease (false once it expired and another process took it over). */
  held(): boolean;
  /**
   * Give the lease back (idempotent). Waits for another process's write lock on the state database on a timer
   * (`writeWhenFree`), not in SQLite's synchronous busy wait; uncontended, it is given back before the call returns.
   */
  release(): Promise<void>;
}

interface LeaseRow {
  view: string;
  owner: string;
  pid: number;
  host: string;
  acquired_at: string;
  expires_at: number;
}


/** The 409 for a view whose lease is held: names the holder's running run(s) when the quality log has them. */
function heldError(db: StateDb, view: string, held: LeaseRow): ConflictError {
  const runIds = runningRunIds(db, 'materialize', view, held.acquired_at);
  // Held by this process: another call of it (two SDK calls, two stores of one project) started a materialization.
  const ours = held.pid === process.pid && isThisHost(held.host);
  const where = `pid ${held.pid} on ${held.host}, since ${held.acquired_at}`;
  const base = { view, owner: held.owner, pid: held.pid, host: held.host, since: held.acquired_at };
  // Dropping a view's online values after an apply takes its lease too (registry/online-drops.ts).
  if (held.owner.startsWith('drop-')) {
    return new ConflictError(`the online values of feature view '${view}' are being dropped (after an apply, a push or a materialization, or by serve's retry; ${where}); try again in a moment`, base, 'online_drop_running');
  }
  if (held.owner.startsWith('compact-')) {
    return new ConflictError(`the pushed files feature view '${view}' reads are being compacted (${where}); try again in a moment`, base, 'materialization_running');
  }
  return runIds.length > 0
    ? new ConflictError(
        `feature view '${view}' is already being materialized (run ${runIds.join(', ')}; ${where}); wait for it to finish`,
        { ...base, run_id: runIds[0], run_ids: runIds },
        'materialization_running',
      )
    : new ConflictError(`feature view '${view}' is already being materialized ${ours ? `by this process (another materialization started at ${held.acquired_at})` : `by another process (${where})`}; wait for it to finish`, base, 'materialization_running');
}

/** Why the runs a lease's previous holder left `running` failed. */
function stoppedMessage(held: LeaseRow | undefined, now: number): string {
  const why = held === undefined ? 'its lease is gone' : held.expires_at <= now ? 'lease expired' : `process ${held.pid} on ${held.host} exited`;
  return `the materialization process stopped before finishing (${why})`;
}

/**
 * Take the leases of `views` for `owner`, all or none, in one transaction.
 * Throws `ConflictError` (code `materialization_running`) naming the holder's
 * running run(s), or "another process" with `details.owner` when none is found.
 * A taken view's runs still `running` (their process stopped: the lease expired,
 * its pid is dead, or it is gone) are marked `failed` in the same transaction;
 * `onFailedRuns` is called once it committed (their alerts are due: the caller sends them, `sendDueAlerts`).
 * Waits for another process's write lock in SQLite's busy handler (a CLI); a server takes them with `acquireLeasesWhenFree`.
 */
export function acquireLeases(db: StateDb, views: readonly string[], owner: string, options: { onFailedRuns?: () => void } = {}): Lease[] {
  const take = leaseTaking(db, views, owner);
  return taken(db, views, owner, take(), options);
}

/**
 * `acquireLeases`, waiting for another process's write lock on the state database on a timer (`writeWhenFree`)
 * instead of in SQLite's synchronous busy handler, up to the same limit: a server taking them goes on answering
 * requests meanwhile. SQLITE_BUSY past that.
 */
export async function acquireLeasesWhenFree(db: StateDb, views: readonly string[], owner: string, options: { onFailedRuns?: () => void } = {}): Promise<Lease[]> {
  const take = leaseTaking(db, views, owner);
  return taken(db, views, owner, await writeWhenFree(db, take), options);
}

/** The transaction taking the leases (`BEGIN IMMEDIATE`): how many orphaned runs it failed. */
function leaseTaking(db: StateDb, views: readonly string[], owner: string): () => number {
  ensureTables(db, 'materialization_leases', DDL);
  // Before the transaction: DDL inside one that rolls back would be undone while marked done.
  ensureRunTables(db);
  const host = processHost();
  const select = db.prepare('SELECT * FROM materialization_leases WHERE view = ?');
  const upsert = db.prepare(`INSERT INTO materialization_leases (view, owner, pid, host, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (view) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, host = excluded.host,
      acquired_at = excluded.acquired_at, expires_at = excluded.expires_at`);
  const take = db.transaction((): number => {
    let failed = 0;
    const now = Date.now();
    for (const view of views) {
      const held = select.get(view) as LeaseRow | undefined;
      const stale = held !== undefined && (held.expires_at <= now || (isThisHost(held.host) && held.pid !== process.pid && !processAlive(held.pid)));
      if (held && !stale) throw heldError(db, view, held);
      // Runs are created only under their view's lease: with the lease free or stale, a running one is orphaned.
      failed += failRunningRuns(db, 'materialize', view, stoppedMessage(held, now)).length;
      upsert.run(view, owner, process.pid, host, new Date(now).toISOString(), now + LEASE_TTL_MS);
    }
    return failed;
  });
  return () => take.immediate();
}

/** The leases just taken: renewed on a timer until released. */
function taken(db: StateDb, views: readonly string[], owner: string, failed: number, options: { onFailedRuns?: () => void }): Lease[] {
  if (failed > 0) options.onFailedRuns?.();
  const renew = db.prepare('UPDATE materialization_leases SET expires_at = ? WHERE view = ? AND owner = ?');
  const remove = db.prepare('DELETE FROM materialization_leases WHERE view = ? AND owner = ?');
  const holds = db.prepare('SELECT 1 FROM materialization_leases WHERE view = ? AND owner = ?');
  return views.map((view) => {
    const timer = setInterval(() => {
      try {
        // Never waits for the write lock (it would stop the whole process): a busy tick is skipped, and the lease
        // lasts LEASE_TTL_MS, several ticks.
        writeWithoutWaiting(db, () => renew.run(Date.now() + LEASE_TTL_MS, view, owner));
      } catch {
        // busy state db: the next tick retries; the lease lasts LEASE_TTL_MS
      }
    }, RENEW_EVERY_MS);
    timer.unref();
    let released = false;
    return {
      view,
      owner,
      held: () => !released && holds.get(view, owner) !== undefined,
      async release() {
        if (released) return;
        released = true;
        clearInterval(timer);
        await writeWhenFree(db, () => remove.run(view, owner));
      },
    };
  });
}

/** Current lease holders (for status pages). */
export function listLeases(db: StateDb): { view: string; owner: string; pid: number; host: string; acquired_at: string; expires_at: string }[] {
  ensureTables(db, 'materialization_leases', DDL);
  const rows = db.prepare('SELECT * FROM materialization_leases WHERE expires_at > ? ORDER BY view').all(Date.now()) as LeaseRow[];
  return rows.map((r) => ({ ...r, expires_at: new Date(r.expires_at).toISOString() }));
}
