/**
 * Opening the SQLite online store's writer connection. A new file gets 16 KiB pages (SQLite's default is
 * 4 KiB): the values table keeps whole rows (about 1 KB for 50 floats) in its B-tree's interior pages too, so
 * larger pages make a shallower tree; a single-entity read measured 5–6% less CPU (README, "Online stores").
 * A file's page size is fixed by the first write of its first page, which here is the switch to WAL, so it is
 * asked for before that; SQLite ignores it on a file that already has pages, which therefore keeps its own
 * page size (no migration: changing it would take a VACUUM out of WAL mode).
 *
 * @example
 * const writer = openOnlineWriter('/tmp/online.db', 30_000);
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { isBusy, type StateDb } from '../state/state-db.js';

/** The page size of a new online store file. */
export const ONLINE_PAGE_SIZE = 16_384;

/** About how many bytes of WAL a commit lets pile up before it checkpoints (SQLite's 1,000 pages of 4 KiB). */
const CHECKPOINT_BYTES = 4 * 1024 * 1024;

/**
 * Open `file` (made when missing) in WAL mode, a new file with `ONLINE_PAGE_SIZE` pages. Two processes that
 * create the file at once (a server and a CLI materialization) both ask for the page size before either writes
 * the first page: whichever switches the file to WAL first fixes it, and the other, on SQLITE_BUSY, tries again
 * every 20 ms (for up to `busyTimeoutMs`) and finds the file made. Page 1 is written in one transaction, so
 * neither sees a half-made file. As `openWalDatabase` otherwise (busy timeout, `synchronous = NORMAL`).
 */
export function openOnlineWriter(file: string, busyTimeoutMs: number): StateDb {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    db.pragma(`page_size = ${ONLINE_PAGE_SIZE}`);
    const deadline = Date.now() + busyTimeoutMs;
    for (;;) {
      try {
        db.pragma('journal_mode = WAL');
        break;
      } catch (e) {
        // Switching a new file to WAL takes a lock SQLite does not wait for.
        if (!isBusy(e) || Date.now() > deadline) throw e;
      }
      Atomics.wait(pause, 0, 0, 20);
    }
    db.pragma('synchronous = NORMAL');
    // The commit that passes the limit checkpoints: counted in pages, so 16 KiB pages would let the WAL grow
    // to 16 MB between checkpoints instead of 4 MB. Kept at about 4 MB whatever the file's page size.
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.pragma(`wal_autocheckpoint = ${Math.max(1, Math.round(CHECKPOINT_BYTES / pageSize))}`);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

/** A synchronous wait between attempts to switch to WAL (opening a database is synchronous). */
const pause = new Int32Array(new SharedArrayBuffer(4));
