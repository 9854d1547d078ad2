/**
 * Removing a run (prune) cascades to every table that references `runs(id)`: each such table needs an index
 * leading with `run_id`, or SQLite scans the whole table once per removed run (minutes for a few thousand runs
 * over a large `guard_partitions`).
 */
import { describe, expect, it } from 'vitest';
import { tempStateDb } from '../../test/helpers/state-db.js';
import { listAlertAttempts } from '../alerts/attempts.js';
import { forgetRedelivery } from '../alerts/redelivery.js';
import { ensureTamperTables } from '../guards/checks/tamper.js';
import { volumeHistory } from '../guards/run-stats.js';
import type { AlertConfig } from '../definitions/types.js';
import { openStateDb, type StateDb } from '../state/state-db.js';
import { pruneRuns } from './prune.js';
import { ensureRunTables } from './run-store.js';

const children = (db: StateDb) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]).filter((t) =>
    (db.prepare('SELECT "table", "from" FROM pragma_foreign_key_list(?)').all(t) as { table: string; from: string }[]).some((f) => f.table === 'runs' && f.from === 'run_id'));

const deletePlan = (db: StateDb, table: string) =>
  (db.prepare(`EXPLAIN QUERY PLAN DELETE FROM ${table} WHERE run_id = ?`).all('x') as { detail: string }[]).map((p) => p.detail).join('; ');

describe('tables cascaded from runs', () => {
  it('each finds a run\'s rows by an index, not by a scan', () => {
    const { db } = tempStateDb('cascade');
    ensureRunTables(db);
    ensureTamperTables(db);
    listAlertAttempts({ state: db }, '');
    forgetRedelivery(db, { name: 'a' } as AlertConfig, 'x');
    volumeHistory(db, 'v', 1, 'x');
    const tables = children(db);
    expect(tables).toEqual(expect.arrayContaining(['check_results', 'profiles', 'guard_partitions', 'alert_attempts', 'alert_redeliveries', 'guard_run_stats']));
    for (const t of tables) {
      // Before: "SCAN guard_partitions" (its primary key and index start with view).
      expect(deletePlan(db, t), t).toMatch(/USING (COVERING |PRIMARY KEY |)INDEX|USING PRIMARY KEY/);
      expect(deletePlan(db, t), t).not.toMatch(/^SCAN|; SCAN/);
    }
  });

  it('a prune adds the index to a state database made before it existed', () => {
    const { db: before, file } = tempStateDb('cascade-old');
    ensureRunTables(before);
    ensureTamperTables(before);
    before.exec('DROP INDEX guard_partitions_run'); // as an earlier version left it (harmless when it never existed)
    const db = openStateDb(file); // a connection that has not created the tamper tables (a CLI `runs prune`)
    try {
      expect(deletePlan(db, 'guard_partitions')).toMatch(/SCAN/);
      pruneRuns(db, { before: '2000-01-01T00:00:00Z' });
      expect(deletePlan(db, 'guard_partitions')).toMatch(/guard_partitions_run/);
    } finally {
      db.close();
    }
  });
});
