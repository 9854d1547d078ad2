/**
 * Columns once found to hold personal data stay masked: the PII check (or the
 * scan of join keys) finding PII in a column of a view or service records it
 * here, and every later run of that view or service masks the column's profile
 * from the start, also when its sample falls under `pii_min_share` that day.
 *
 * @example
 * knownPiiColumns(project.state, 'view:customers'); // ['email']
 */
import { ensureTables, writeWhenFree, type StateDb } from '../state/state-db.js';

const DDL = `
CREATE TABLE IF NOT EXISTS guard_pii_columns (
  target TEXT NOT NULL,
  "column" TEXT NOT NULL,
  run_id TEXT NOT NULL,
  found_at TEXT NOT NULL,
  PRIMARY KEY (target, "column")
);
`;

/** What the columns belong to: `view:<name>`, `service:<name>`, or null for a dataset of loose features (not remembered). */
export function piiTarget(view: { name: string } | undefined, service: { name: string } | undefined): string | null {
  return view ? `view:${view.name}` : service ? `service:${service.name}` : null;
}

/** Columns of `target` found to hold PII by an earlier run. */
export function knownPiiColumns(db: StateDb, target: string | null): string[] {
  if (target === null) return [];
  ensureTables(db, 'guard_pii_columns', DDL);
  return db.prepare('SELECT "column" FROM guard_pii_columns WHERE target = ? ORDER BY "column"').pluck().all(target) as string[];
}

/** Remember that `columns` of `target` hold PII (found in run `runId`), waiting for the write lock on a timer (`writeWhenFree`). */
export async function recordPiiColumns(db: StateDb, target: string | null, columns: Iterable<string>, runId: string): Promise<void> {
  const list = [...columns];
  if (target === null || list.length === 0) return;
  ensureTables(db, 'guard_pii_columns', DDL);
  const insert = db.prepare('INSERT OR IGNORE INTO guard_pii_columns (target, "column", run_id, found_at) VALUES (?, ?, ?, ?)');
  const now = new Date().toISOString();
  await writeWhenFree(db, () => db.transaction(() => list.forEach((c) => insert.run(target, c, runId, now))).immediate());
}

/** One remembered column: where it was found, and by which run. */
export interface PiiColumnRecord {
  readonly target: string;
  readonly column: string;
  readonly run_id: string;
  readonly found_at: string;
}

/** Every remembered column, or those of one target, sorted. */
export function listPiiColumns(db: StateDb, target?: string): PiiColumnRecord[] {
  ensureTables(db, 'guard_pii_columns', DDL);
  const sql = `SELECT target, "column", run_id, found_at FROM guard_pii_columns${target === undefined ? '' : ' WHERE target = ?'} ORDER BY target, "column"`;
  return db.prepare(sql).all(...(target === undefined ? [] : [target])) as PiiColumnRecord[];
}

/**
 * Forget that `column` of `target` holds PII (a false positive of the check, or a
 * column whose content changed): later runs profile it unmasked again unless the
 * PII check finds PII in it again. Stored profiles stay as they were. Returns
 * whether there was anything to forget.
 */
export function forgetPiiColumn(db: StateDb, target: string, column: string): boolean {
  ensureTables(db, 'guard_pii_columns', DDL);
  return db.prepare('DELETE FROM guard_pii_columns WHERE target = ? AND "column" = ?').run(target, column).changes > 0;
}
