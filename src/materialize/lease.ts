/**
 * Materialization leases in the state database: at most one materialization of a
 * view runs at a time, across processes. A lease names its owner (run id), pid and
 * host and expires unless its holder renews it, so a crashed process does not lock
 * a view forever (a lease held by a dead pid on this host is taken over at once).
 */
import { hostname } from 'node:os';
import { ConflictError } from '../errors.js';
import { ensureTables, type StateDb } from '../state/state-db.js';

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
  /** Give the lease back (idempotent). */
  release(): void;
}

interface LeaseRow {
  view: string;
  owner: string;
  pid: number;
  host: string;
  acquired_at: string;
  expires_at: number;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Take the leases of `views` for `owner`, all or none, in one transaction.
 * Throws `ConflictError` (code `materialization_running`) naming the holder.
 */
export function acquireLeases(db: StateDb, views: readonly string[], owner: string): Lease[] {
  ensureTables(db, 'materialization_leases', DDL);
  const host = hostname();
  const select = db.prepare('SELECT * FROM materialization_leases WHERE view = ?');
  const upsert = db.prepare(`INSERT INTO materialization_leases (view, owner, pid, host, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (view) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, host = excluded.host,
      acquired_at = excluded.acquired_at, expires_at = excluded.expires_at`);
  const take = db.transaction(() => {
    const now = Date.now();
    for (const view of views) {
      const held = select.get(view) as LeaseRow | undefined;
      const stale = held !== undefined && (held.expires_at <= now || (held.host === host && held.pid !== process.pid && !processAlive(held.pid)));
      if (held && !stale) {
        throw new ConflictError(
          `feature view '${view}' is already being materialized (run ${held.owner}, pid ${held.pid} on ${held.host}, since ${held.acquired_at}); wait for it to finish`,
          { view, run_id: held.owner, pid: held.pid, host: held.host, since: held.acquired_at },
          'materialization_running',
        );
      }
      upsert.run(view, owner, process.pid, host, new Date(now).toISOString(), now + LEASE_TTL_MS);
    }
  });
  take.immediate();

  const renew = db.prepare('UPDATE materialization_leases SET expires_at = ? WHERE view = ? AND owner = ?');
  const remove = db.prepare('DELETE FROM materialization_leases WHERE view = ? AND owner = ?');
  return views.map((view) => {
    const timer = setInterval(() => {
      try {
        renew.run(Date.now() + LEASE_TTL_MS, view, owner);
      } catch {
        // busy state db: the next tick retries; the lease lasts LEASE_TTL_MS
      }
    }, RENEW_EVERY_MS);
    timer.unref();
    let released = false;
    return {
      view,
      owner,
      release() {
        if (released) return;
        released = true;
        clearInterval(timer);
        remove.run(view, owner);
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
