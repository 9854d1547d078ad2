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
import { openWalDatabase, type StateDb } from '../state/state-db.js';

/** The page size of a new online store file. */
export const ONLINE_PAGE_SIZE = 16_384;

/** About how many bytes of WAL a commit lets pile up before it checkpoints (SQLite's 1,000 pages of 4 KiB). */
const CHECKPOINT_BYTES = 4 * 1024 * 1024;

/**
 * Open `file` (made when missing) in WAL mode (`openWalDatabase`), a new file with `ONLINE_PAGE_SIZE` pages. Two
 * processes that create the file at once (a server and a CLI materialization) both ask for the page size before
 * either writes the first page: whichever switches the file to WAL first fixes it, and the other finds the file
 * made. Page 1 is written in one transaction, so neither sees a half-made file.
 */
export function openOnlineWriter(file: string, busyTimeoutMs: number): StateDb {
  const db = openWalDatabase(file, busyTimeoutMs, ONLINE_PAGE_SIZE);
  try {
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
