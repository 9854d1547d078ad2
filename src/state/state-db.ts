/**
 * The SQLite state database (`.featureguard/state.db`, WAL): registry versions,
 * runs, check results, profiles, baselines, API keys. Each module that keeps state
 * creates its own tables with `ensureTables` so the schema lives beside its code.
 * State access goes through small store modules so a Postgres backend can be added.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type StateDb = Database.Database;

/**
 * Open a SQLite file in WAL mode for several processes. Switching a new file to
 * WAL needs a lock that SQLite does not wait for (no busy handler): when two
 * processes open it at once (a server and a CLI command), one gets SQLITE_BUSY.
 * It then waits a little and tries again (the other process has usually switched
 * the file meanwhile), for up to `busyTimeoutMs`.
 */
export function openWalDatabase(file: string, busyTimeoutMs: number): Database.Database {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  const deadline = Date.now() + busyTimeoutMs;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      break;
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) {
        db.close();
        throw e;
      }
    }
    Atomics.wait(pause, 0, 0, 20);
  }
  db.pragma('synchronous = NORMAL');
  return db;
}

/** A synchronous 20 ms wait between attempts to switch to WAL (opening a database is synchronous). */
const pause = new Int32Array(new SharedArrayBuffer(4));

export function openStateDb(file: string): StateDb {
  const db = openWalDatabase(file, 10_000);
  db.pragma('foreign_keys = ON');
  return db;
}

const ensured = new WeakMap<StateDb, Set<string>>();

/** Run a module's DDL once per connection. */
export function ensureTables(db: StateDb, module: string, ddl: string): void {
  let done = ensured.get(db);
  if (!done) ensured.set(db, (done = new Set()));
  if (done.has(module)) return;
  db.exec(ddl);
  done.add(module);
}
