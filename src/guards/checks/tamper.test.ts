import { describe, expect, it } from 'vitest';
import { tempStateDb } from '../../../test/helpers/state-db.js';
import { ensureRunTables } from '../../runs/run-store.js';
import { UPDATE_PARTITION_SQL, ensureTamperTables } from './tamper.js';

const { db } = tempStateDb('tamper-sql');

describe('re-recording a checksum range', () => {
  it('finds the range by its whole primary key (view, day, run), not by scanning every range of the view', () => {
    ensureTamperTables(db);
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${UPDATE_PARTITION_SQL}`).all(1, 's', 'k', 'r', 1, 's', 'v', '2001-01-01', 'run', 'a', 'b') as { detail: string }[];
    // Before: "SEARCH guard_partitions USING INDEX … (view=?)" — every range of the view read per update, minutes
    // of CPU for a window from 1970 (20,000 days).
    expect(plan.map((p) => p.detail).join('; ')).toMatch(/\(view=\? AND day=\? AND run_id=\?\)/);
  });

  it('updates exactly the range it names', () => {
    ensureRunTables(db);
    db.prepare("INSERT INTO runs (id, kind, status, started_at, counts) VALUES ('run1', 'materialize', 'success', '2001-01-05T00:00:00.000Z', '{}')").run();
    const insert = db.prepare("INSERT INTO guard_partitions (view, day, range_start, range_end, columns_hash, rows, checksum, run_id) VALUES ('v', ?, ?, ?, 'h', 1, '1', 'run1')");
    for (const day of ['2001-01-01', '2001-01-02', '2001-01-03']) insert.run(day, `${day}T00:00:00.000Z`, `${day}T23:59:59.999Z`);
    db.prepare(UPDATE_PARTITION_SQL).run(7, '77', 'k', 'r', 8, '88', 'v', '2001-01-02', 'run1', '2001-01-02T00:00:00.000Z', '2001-01-02T23:59:59.999Z');
    const rows = db.prepare("SELECT day, rows, checksum FROM guard_partitions WHERE view = 'v' ORDER BY day").all();
    expect(rows).toEqual([
      { day: '2001-01-01', rows: 1, checksum: '1' },
      { day: '2001-01-02', rows: 7, checksum: '77' },
      { day: '2001-01-03', rows: 1, checksum: '1' },
    ]);
  });
});
