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

export function openStateDb(file: string): StateDb {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 10000');
  db.pragma('synchronous = NORMAL');
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
