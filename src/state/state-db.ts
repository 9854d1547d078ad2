/**
 * The SQLite state database (`.featureguard/state.db`, WAL): registry versions,
 * runs, check results, profiles, baselines, API keys. Each module that keeps state
 * creates its own tables with `ensureTables` so the schema lives beside its code.
 * State access goes through small store modules so a Postgres backend can be added.
 */
import Database from 'better-sqlite3';
// The type by name (not `Database.Database` through the default import): declarations that default-import
// better-sqlite3 are an error for a user's compiler without `esModuleInterop`.
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { FeatureguardError } from '../errors.js';
import { randomUUID } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

export type StateDb = SqliteDatabase;

/**
 * Open a SQLite file in WAL mode for several processes. Switching a new file to
 * WAL needs a lock that SQLite does not wait for (no busy handler): when two
 * processes open it at once (a server and a CLI command), one gets SQLITE_BUSY.
 * It then waits a little and tries again (the other process has usually switched
 * the file meanwhile), for up to `busyTimeoutMs`. A new file gets `pageSize` when given.
 */
export function openWalDatabase(file: string, busyTimeoutMs: number, pageSize?: number): StateDb {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  // Fixed by the first write of page 1 (the switch to WAL below); ignored on a file that already has pages.
  if (pageSize !== undefined) db.pragma(`page_size = ${pageSize}`);
  const deadline = Date.now() + busyTimeoutMs;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      break;
    } catch (e) {
      // Switching a new file to WAL takes a lock SQLite does not wait for.
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

/**
 * Run a write that must not wait for another process's write lock (bookkeeping: a key's last use, a run's
 * heartbeat): better-sqlite3 is synchronous, so the connection's busy wait would stop the whole process (a
 * server's every request) while a CLI apply, a prune or a VACUUM writes. The wait is 0 for this one write and
 * put back after; nothing else can run on the connection in between. SQLite's errors (SQLITE_BUSY) are thrown.
 */
export function writeWithoutWaiting<T>(db: StateDb, write: () => T): T {
  const busyTimeout = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma('busy_timeout = 0');
  try {
    return write();
  } finally {
    db.pragma(`busy_timeout = ${busyTimeout}`);
  }
}

/** The longest pause between two tries of `writeWhenFree` (the first ones are a few ms apart). */
const WRITE_RETRY_MAX_MS = 200;

/**
 * Run a write transaction (`write` begins it with `BEGIN IMMEDIATE`) that may wait for another process's write
 * lock, without blocking the event loop: the connection's own busy wait is synchronous and would stop every other
 * request of a server for as long as it waits. A busy lock is tried again on a timer, a few ms apart growing to
 * 200 ms, until `waitMs` (by default the connection's busy timeout, the limit its own wait would have had); then
 * SQLite's SQLITE_BUSY is thrown. Other errors are thrown at once.
 *
 * @example
 * const result = await writeWhenFree(db, () => applyTx.immediate(defs));
 */
export async function writeWhenFree<T>(db: StateDb, write: () => T, waitMs?: number): Promise<T> {
  const limit = waitMs ?? (db.pragma('busy_timeout', { simple: true }) as number);
  const deadline = performance.now() + limit;
  for (let pause = 2; ; pause = Math.min(WRITE_RETRY_MAX_MS, pause * 2)) {
    try {
      return writeWithoutWaiting(db, write);
    } catch (e) {
      const left = deadline - performance.now();
      if (!isBusy(e) || left <= 0) throw e;
      await new Promise((r) => setTimeout(r, Math.min(pause, left)));
    }
  }
}

/** SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT, …). */
export function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

export function openStateDb(file: string): StateDb {
  try {
    const db = openWalDatabase(file, 10_000);
    db.pragma('foreign_keys = ON');
    return db;
  } catch (e) {
    throw stateError(file, e);
  }
}

/**
 * A clear error for a state database (or online SQLite file) that cannot be opened: the file, what
 * SQLite or the file system said, and what to do. Exit 3 (a runtime failure, not bad input).
 */
export function stateError(file: string, e: unknown, errorCode = 'state_unavailable'): FeatureguardError {
  const code = (e as { code?: string }).code ?? '';
  const reason = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  const hint = code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT'
    ? 'the file is damaged or not a SQLite database: restore a backup, or move it away to start afresh (its registry and quality log are then gone)'
    : code === 'SQLITE_BUSY'
      ? 'another featureguard process holds it locked; try again when it finishes'
      : code === 'SQLITE_READONLY' || code === 'EROFS' || code === 'EACCES' || code === 'SQLITE_CANTOPEN' || code === 'EEXIST' || code === 'ENOTDIR'
        ? `featureguard keeps its state in ${dirname(file)}: it must be a folder this user can write`
        : 'see the reason above';
  return new FeatureguardError(errorCode, `cannot open ${file}: ${reason} (${hint})`, { status: 503, exitCode: 3, details: { file, code: code || null }, cause: e });
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

/**
 * Add `column` (with its SQL `type`) to `table` when a database made by an earlier version lacks it; call it
 * outside transactions, after the table exists. False when it is missing and cannot be added (a read-only
 * database: an older project read without the newer data). Another process adding it meanwhile is fine.
 */
export function ensureColumn(db: StateDb, table: string, column: string, type: string): boolean {
  // Asked once per connection (callers ask on every use).
  let known = columnsEnsured.get(db);
  if (!known) columnsEnsured.set(db, (known = new Map()));
  const key = `${table}.${column}`;
  let present = known.get(key);
  if (present === undefined) known.set(key, (present = addColumn(db, table, column, type)));
  return present;
}
const columnsEnsured = new WeakMap<StateDb, Map<string, boolean>>();

function addColumn(db: StateDb, table: string, column: string, type: string): boolean {
  const has = () => (db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(table) as string[]).includes(column);
  if (has()) return true;
  try {
    db.exec(`ALTER TABLE "${table}" ADD COLUMN "${column}" ${type}`);
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === 'SQLITE_READONLY') return false;
    if (has()) return true;
    throw e;
  }
}

const identities = new WeakMap<StateDb, string>();

/**
 * This state database's identity: a random id made when it is first asked for and kept in the database, with
 * where it was made (host, path, inode). Leases live in one state database, so an online write session tagged
 * with it is known, by a later holder of the same lease, to be dead (see the Redis store's exclusive sessions).
 * A copy of the folder (another host, path or file: a container image's state folder run as several replicas)
 * makes itself a new id: its leases are not the original's.
 */
export function stateIdentity(db: StateDb): string {
  let id = identities.get(db);
  if (id === undefined) {
    const origin = `${hostname()}|${db.name}|${statSync(db.name).ino}`;
    ensureTables(db, 'identity', 'CREATE TABLE IF NOT EXISTS state_origin (id TEXT NOT NULL, origin TEXT NOT NULL)');
    id = db.transaction(() => {
      const row = db.prepare('SELECT id FROM state_origin WHERE origin = ?').get(origin) as { id: string } | undefined;
      if (row) return row.id;
      const made = randomUUID();
      db.prepare('DELETE FROM state_origin').run();
      db.prepare('INSERT INTO state_origin (id, origin) VALUES (?, ?)').run(made, origin);
      return made;
    }).immediate();
    identities.set(db, id);
  }
  return id;
}

/** Whether the state database has this table (modules create theirs on first use). */
export function hasTable(db: StateDb, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}
