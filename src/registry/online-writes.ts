/**
 * Online writes in flight outside a materialization's lease: pushes. A push
 * registers here before it checks the definitions and writes; after its write,
 * still registered, it checks once more whether a drop was requested meanwhile,
 * then ends its registration (so that drop is done, not deferred to itself; its
 * rows go too, and it fails saying so). While a push of
 * a view is registered, a drop of that view is deferred to it
 * (`dropUnlessMaterializing` answers `deferred`), and a drop done meanwhile
 * under the lease (by a materialization) removes the values but stays pending
 * (`dropPendingView`): the push's rows may still land. A push drops what is
 * pending when it ends. A push whose process died stops counting when its pid
 * is gone (same host) or its registration expired (60 s, renewed every 10 s
 * while it writes); the drop it held up is then done by a running `serve`'s
 * retry, or the next apply or materialization.
 *
 * @example
 * const writing = await beginOnlineWrite(project.state, 'origin_delays');
 * try { ... } finally { await writing.end(); }
 */
import { randomUUID } from 'node:crypto';
import { ensureTables, writeWhenFree, writeWithoutWaiting, type StateDb } from '../state/state-db.js';
import { isThisHost, processAlive, processHost } from '../state/process-host.js';

const DDL = `
CREATE TABLE IF NOT EXISTS online_writes_in_flight (
  id TEXT PRIMARY KEY,
  view TEXT NOT NULL,
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
`;

const TTL_MS = 60_000;
const RENEW_EVERY_MS = 10_000;

/** Registrations of this process still writing: a row with this pid but not in here is an earlier process's (pids are reused). */
const mine = new Set<string>();

export interface OnlineWrite {
  /** End the registration (idempotent; its row is deleted waiting for the write lock on a timer, best effort). */
  end(): Promise<void>;
}

/**
 * Register an online write of `view` by this process (see the module comment). The state database's write lock is
 * waited for on a timer (`writeWhenFree`), never in SQLite's synchronous busy wait: a server pushing goes on
 * answering requests while another process writes.
 */
export async function beginOnlineWrite(db: StateDb, view: string): Promise<OnlineWrite> {
  ensureTables(db, 'online_writes_in_flight', DDL);
  const id = randomUUID();
  // Ours before its row exists: a `liveOnlineWrites` of this process running while the insert waits for the lock
  // would otherwise take the new row for a dead process's and delete it.
  mine.add(id);
  try {
    await writeWhenFree(db, () => db.prepare('INSERT INTO online_writes_in_flight (id, view, pid, host, expires_at) VALUES (?, ?, ?, ?, ?)').run(id, view, process.pid, processHost(), Date.now() + TTL_MS));
  } catch (e) {
    mine.delete(id);
    throw e;
  }
  const timer = setInterval(() => {
    try {
      writeWithoutWaiting(db, () => db.prepare('UPDATE online_writes_in_flight SET expires_at = ? WHERE id = ?').run(Date.now() + TTL_MS, id));
    } catch {
      // busy state db: the next tick retries; the registration lasts TTL_MS
    }
  }, RENEW_EVERY_MS);
  timer.unref();
  let ended = false;
  return {
    async end() {
      if (ended) return;
      ended = true;
      clearInterval(timer);
      mine.delete(id);
      try {
        await writeWhenFree(db, () => db.prepare('DELETE FROM online_writes_in_flight WHERE id = ?').run(id));
      } catch {
        // busy state db: no longer counted in this process, and no longer renewed, so it expires within TTL_MS elsewhere
      }
    },
  };
}

/**
 * How many online writes of `view` are in flight; registrations of dead processes are removed first (waiting for
 * the write lock on a timer, as `beginOnlineWrite` does).
 */
export async function liveOnlineWrites(db: StateDb, view: string): Promise<number> {
  ensureTables(db, 'online_writes_in_flight', DDL);
  const rows = db.prepare('SELECT id, pid, host, expires_at FROM online_writes_in_flight WHERE view = ?').all(view) as { id: string; pid: number; host: string; expires_at: number }[];
  const host = processHost();
  const now = Date.now();
  let live = 0;
  const remove = db.prepare('DELETE FROM online_writes_in_flight WHERE id = ?');
  for (const r of rows) {
    const ours = r.host === host && r.pid === process.pid;
    const dead = r.expires_at <= now || (ours ? !mine.has(r.id) : isThisHost(r.host) && !processAlive(r.pid));
    if (dead) await writeWhenFree(db, () => remove.run(r.id));
    else live++;
  }
  return live;
}
