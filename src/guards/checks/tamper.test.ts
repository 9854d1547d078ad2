import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tempStateDb } from '../../../test/helpers/state-db.js';
import { ensureRunTables } from '../../runs/run-store.js';
import type { StateDb } from '../../state/state-db.js';
import { LAST_RECORDED_DAYS_SQL, LATEST_PARTITIONS_SQL, UPDATE_PARTITION_SQL, ensureTamperTables, latestPartitions } from './tamper.js';
import { hashList, packHashes } from './tamper-band.js';

const { db } = tempStateDb('tamper-sql');

describe('re-recording a checksum range', () => {
  it('finds the range by its whole primary key (view, day, run), not by scanning every range of the view', () => {
    ensureTamperTables(db);
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${UPDATE_PARTITION_SQL}`).all(1, 's', 'k', 'r', 1, 's', null, null, 'v', '2001-01-01', 'run', 'a', 'b') as { detail: string }[];
    // Before: "SEARCH guard_partitions USING INDEX … (view=?)" — every range of the view read per update, minutes
    // of CPU for a window from 1970 (20,000 days).
    expect(plan.map((p) => p.detail).join('; ')).toMatch(/\(view=\? AND day=\? AND run_id=\?\)/);
  });

  it('updates exactly the range it names', () => {
    ensureRunTables(db);
    db.prepare("INSERT INTO runs (id, kind, status, started_at, counts) VALUES ('run1', 'materialize', 'success', '2001-01-05T00:00:00.000Z', '{}')").run();
    const insert = db.prepare("INSERT INTO guard_partitions (view, day, range_start, range_end, columns_hash, rows, checksum, run_id) VALUES ('v', ?, ?, ?, 'h', 1, '1', 'run1')");
    for (const day of ['2001-01-01', '2001-01-02', '2001-01-03']) insert.run(day, `${day}T00:00:00.000Z`, `${day}T23:59:59.999Z`);
    db.prepare(UPDATE_PARTITION_SQL).run(7, '77', 'k', 'r', 8, '88', null, null, 'v', '2001-01-02', 'run1', '2001-01-02T00:00:00.000Z', '2001-01-02T23:59:59.999Z');
    const rows = db.prepare("SELECT day, rows, checksum FROM guard_partitions WHERE view = 'v' ORDER BY day").all();
    expect(rows).toEqual([
      { day: '2001-01-01', rows: 1, checksum: '1' },
      { day: '2001-01-02', rows: 7, checksum: '77' },
      { day: '2001-01-03', rows: 1, checksum: '1' },
    ]);
  });
});

describe('the earlier record compared per range', () => {
  const bounds = { view: 'v', exceptRun: 'me', from: '2001-01-02T06:00:00.000Z', end: '2001-01-04T00:00:00.000Z', colsHash: 'C', legacyHash: 'L' };

  it('is chosen in SQL through the (view, day) index, bounded by day', () => {
    ensureRunTables(db);
    ensureTamperTables(db);
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${LATEST_PARTITIONS_SQL}`).all(bounds) as { detail: string }[]).map((p) => p.detail).join('; ');
    // Before: "SEARCH p USING INDEX guard_partitions_view_day (view=?)" and every record of every earlier run
    // handed to JavaScript (436,550 rows to keep 20,790 after 21 rematerializations from 1970).
    expect(plan).toMatch(/guard_partitions_view_day \(view=\? AND day>\? AND day<\?\)/);
  });

  it('finds the last recorded days before a window through the (view, day) index, newest first, without sorting', () => {
    ensureRunTables(db);
    ensureTamperTables(db);
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${LAST_RECORDED_DAYS_SQL}`).all({ view: 'v', exceptRun: 'me', start: '2001-01-04T00:00:00.000Z', colsHash: 'C', legacyHash: 'L', days: 7 }) as { detail: string }[]).map((p) => p.detail).join('; ');
    expect(plan).toMatch(/guard_partitions_view_day \(view=\? AND day<\?\)/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
  });

  /** The previous selection: every record, newest run first, one kept per range in JavaScript. */
  function previous(d: StateDb, q: Parameters<typeof latestPartitions>[1]): Record<string, unknown>[] {
    const earlier = d
      .prepare(
        `SELECT p.day, p.range_start, p.range_end, p.rows, p.checksum, p.columns_hash, coalesce(p.known_by, r.started_at) AS known_by, p.run_id,
                p.read_at, p.rows_read, p.checksum_read, length(p.band_hashes) AS band_bytes, p.column_types FROM guard_partitions p JOIN runs r ON r.id = p.run_id
         WHERE p.view = ? AND r.kind = 'materialize' AND r.status IN ('success', 'warned') AND p.run_id <> ?
           AND p.range_end > ? AND p.range_start < ? AND p.range_end <= r.started_at
         ORDER BY r.started_at DESC, r.rowid DESC`,
      )
      .all(q.view, q.exceptRun, q.from, q.end) as { range_start: string; range_end: string; columns_hash: string }[];
    const byRange = new Map<string, (typeof earlier)[number]>();
    for (const p of earlier) {
      const k = `${p.range_start}|${p.range_end}`;
      const have = byRange.get(k);
      if (p.columns_hash === q.colsHash ? have?.columns_hash !== q.colsHash : p.columns_hash === q.legacyHash && have === undefined) byRange.set(k, p);
    }
    return [...byRange.values()];
  }

  const byRange = (l: Record<string, unknown>[]) => [...l].sort((a, b) => `${a.range_start}|${a.range_end}`.localeCompare(`${b.range_start}|${b.range_end}`));

  it('is the record the previous selection chose, on random logs', () => {
    const run = fc.record({
      kind: fc.constantFrom('materialize', 'materialize', 'push'),
      status: fc.constantFrom('success', 'warned', 'blocked'),
      started: fc.integer({ min: 0, max: 6 }), // equal start times: the later inserted run is the newer
      me: fc.boolean(),
      known: fc.boolean(),
      partitions: fc.uniqueArray(fc.record({ day: fc.integer({ min: 0, max: 4 }), part: fc.integer({ min: 0, max: 2 }), hash: fc.constantFrom('C', 'L', 'X') }), { selector: (p) => p.day, maxLength: 4 }),
    });
    // Bounds at midnight and within a day (a range ending at `from` or starting at `end` is out).
    const instant = fc.constantFrom('2001-01-01T00', '2001-01-02T06', '2001-01-02T12', '2001-01-03T00', '2001-01-04T07', '2001-01-05T12', '2001-01-06T00');
    fc.assert(
      fc.property(fc.array(run, { maxLength: 12 }), instant, instant, (runs, from, end) => {
        const q = { ...bounds, from: `${from}:00:00.000Z`, end: `${end}:00:00.000Z` };
        const d = db;
        d.exec('DELETE FROM guard_partitions; DELETE FROM runs');
        runs.forEach((r, i) => {
          const id = r.me ? (runs.findIndex((x) => x.me) === i ? 'me' : `r${i}`) : `r${i}`;
          d.prepare('INSERT INTO runs (id, kind, status, started_at, counts) VALUES (?, ?, ?, ?, ?)').run(id, r.kind, r.status, `2001-01-0${3 + r.started}T00:00:00.000Z`, '{}');
          for (const p of r.partitions) {
            const day = `2001-01-0${1 + p.day}`;
            // Whole days and parts of them (hourly windows), some ending after their run started.
            const [s, e] = [['00', '24'], ['06', '12'], ['12', '24']][p.part];
            const end = e === '24' ? `2001-01-0${2 + p.day}T00:00:00.000Z` : `${day}T${e}:00:00.000Z`;
            // Some with the hashes of a band: the chosen record's, not another run's of the range.
            d.prepare('INSERT INTO guard_partitions (view, day, range_start, range_end, columns_hash, rows, checksum, run_id, known_by, band_hashes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
              .run('v', day, `${day}T${s}:00:00.000Z`, end, p.hash, i, String(i), id, r.known ? `${day}T23:00:00.000Z` : null, r.known ? packHashes(hashList([BigInt(i), 2n ** 64n - 1n])) : null);
          }
        });
        expect(byRange(latestPartitions(d, q) as unknown as Record<string, unknown>[])).toEqual(byRange(previous(d, q)));
      }),
      { numRuns: 300 },
    );
  });
});
