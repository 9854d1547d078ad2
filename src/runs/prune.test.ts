/**
 * `pruneRuns` against a naive reference written with loops over the same rows:
 * random quality logs (kinds, views, services, statuses, row counts, equal start
 * times, tamper checksums, details present or already cut, views whose history
 * started over), random cutoffs and `keep`; and against drift's own reader
 * (`previousRuns`), which must find the same references after a prune as before it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { listAlertAttempts, recordAttempt } from '../alerts/attempts.js';
import { ensureTamperTables } from '../guards/checks/tamper.js';
import { previousRuns, WRITTEN_DESPITE_BLOCK } from '../guards/reference.js';
import { openStateDb, type StateDb } from '../state/state-db.js';
import { pruneRuns } from './prune.js';
import { ensureRunTables } from './run-store.js';
import { ensureViewHistoryTable, restartViewHistory } from './view-history.js';

const dir = mkdtempSync(join(tmpdir(), 'fg-prune-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface RunSpec {
  kind: 'materialize' | 'push' | 'dataset' | 'check' | 'compact';
  view: 'a' | 'b' | null;
  service: 's' | null;
  status: 'running' | 'success' | 'warned' | 'blocked' | 'failed';
  /** Rows read (null: not recorded); a dataset written despite blocking checks is no drift reference. */
  rows: number | null;
  despiteBlock: boolean;
  day: number;
  details: boolean;
  attempts: boolean;
  /** Tamper checksums: a time range (index) and the checksummed columns' hash. */
  partitions: { range: number; cols: 'a' | 'b' }[];
}

const runSpec: fc.Arbitrary<RunSpec> = fc.record({
  kind: fc.constantFrom('materialize', 'materialize', 'materialize', 'push', 'dataset', 'check', 'compact'),
  view: fc.constantFrom('a', 'a', 'b', null),
  service: fc.constantFrom('s', null),
  status: fc.constantFrom('running', 'success', 'success', 'warned', 'blocked', 'failed'),
  rows: fc.constantFrom(null, 0, 0, 5, 40, 40, 500),
  despiteBlock: fc.boolean(),
  day: fc.integer({ min: 0, max: 9 }),
  details: fc.boolean(),
  attempts: fc.boolean(),
  partitions: fc.uniqueArray(fc.record({ range: fc.integer({ min: 0, max: 2 }), cols: fc.constantFrom('a', 'b') }), { maxLength: 2, selector: (p) => (p.range < 2 ? 'd0' : 'd1') }), // one checksum per day and run (the table's key)
});

/** The day each view's history last started over (its values dropped), if it did. */
type Restarts = Partial<Record<'a' | 'b', number>>;

const restarts: fc.Arbitrary<Restarts> = fc.record({ a: fc.integer({ min: 0, max: 10 }), b: fc.integer({ min: 0, max: 10 }) }, { requiredKeys: [] });

const at = (day: number) => new Date(Date.UTC(2026, 0, 1 + day)).toISOString();

let n = 0;
function fill(specs: RunSpec[], restarted: Restarts = {}): StateDb {
  const db = openStateDb(join(dir, `state-${n++}.db`));
  ensureRunTables(db);
  ensureViewHistoryTable(db);
  for (const [view, day] of Object.entries(restarted)) restartViewHistory(db, view, at(day));
  ensureTamperTables(db);
  listAlertAttempts({ state: db }, ''); // creates the attempts table
  specs.forEach((s, i) => {
    const id = `r${i}`;
    db.prepare(`INSERT INTO runs (id, kind, view, service, status, started_at, counts, rows_in, message) VALUES (?, ?, ?, ?, ?, ?, '{}', ?, ?)`)
      .run(id, s.kind, s.view, s.service, s.status, at(s.day), s.rows, s.despiteBlock ? `${WRITTEN_DESPITE_BLOCK}: 2 blocking` : null);
    if (s.details) {
      db.prepare(`INSERT INTO check_results (run_id, seq, "check", status, record) VALUES (?, 0, 'schema', 'pass', '{}')`).run(id);
      db.prepare(`INSERT INTO profiles (run_id, "column", profile) VALUES (?, 'x', '{}')`).run(id);
    }
    if (s.attempts) recordAttempt(db, { run_id: id, alert: 'hook', url: 'https://h', attempt: 1, status_code: 204, ok: true, error: null, at: at(s.day), duration_ms: 1 });
    if (s.kind === 'materialize' && s.view !== null) {
      // Ranges 0 and 1 are two parts of one day (hourly windows); range 2 is another day.
      for (const p of s.partitions) {
        db.prepare(`INSERT INTO guard_partitions (view, day, range_start, range_end, columns_hash, rows, checksum, run_id) VALUES (?, ?, ?, ?, ?, 1, 'c', ?)`)
          .run(s.view, p.range < 2 ? 'd0' : 'd1', `s${p.range}`, `e${p.range}`, p.cols, id);
      }
    }
  });
  return db;
}

/** The reference: which runs go, which are cut to their row, which stay, by loops. */
function naive(specs: RunSpec[], cutoffDay: number, keep: number, restarted: Restarts = {}): { drop: Set<string>; trim: Set<string>; kept: number } {
  const indexed = specs.map((s, i) => ({ ...s, id: `r${i}`, i }));
  const newerFirst = (a: { day: number; i: number }, b: { day: number; i: number }) => b.day - a.day || b.i - a.i;
  const ok = (s: RunSpec) => s.status === 'success' || s.status === 'warned';
  const newest = new Set<string>();
  const groups = new Map<string, typeof indexed>();
  for (const s of indexed.filter((x) => ok(x) && x.details)) {
    const g = `${s.kind}|${s.view ?? ''}|${s.service ?? ''}`;
    groups.set(g, [...(groups.get(g) ?? []), s]);
  }
  for (const g of groups.values()) g.sort(newerFirst).slice(0, keep).forEach((s) => newest.add(s.id));
  // Drift's references, whatever min_rows (a whole number from 1, no upper bound): for every threshold, the newest
  // `keep` admitted runs of each reader. A run of unknown row count is admitted at every threshold, so the thresholds
  // go one past the largest known count: there (and above) it competes only with other runs of unknown count.
  // Not from before its view's history started over (a run of no view has none).
  const inHistory = (x: RunSpec) => x.view === null || x.day >= (restarted[x.view] ?? 0);
  const admitted = indexed.filter((x) => ok(x) && x.details && !x.despiteBlock && inHistory(x) && (x.kind === 'dataset' ? x.service !== null : (x.kind === 'materialize' || x.kind === 'push') && x.view !== null));
  const largest = Math.max(0, ...specs.map((s) => s.rows ?? 0));
  for (let min = 1; min <= largest + 1; min++) {
    const readers = new Map<string, typeof indexed>();
    for (const s of admitted.filter((x) => (x.rows ?? min) >= min)) {
      const r = `${s.kind}|${s.kind === 'dataset' ? s.service : s.view}`;
      readers.set(r, [...(readers.get(r) ?? []), s]);
    }
    for (const g of readers.values()) g.sort(newerFirst).slice(0, keep).forEach((s) => newest.add(s.id));
  }
  const owner = new Map<string, (typeof indexed)[number]>();
  for (const s of indexed) {
    if (s.kind !== 'materialize' || s.view === null || !ok(s)) continue;
    for (const p of s.partitions) {
      const k = `${s.view}|${p.range}|${p.cols}`;
      const cur = owner.get(k);
      if (!cur || newerFirst(s, cur) < 0) owner.set(k, s);
    }
  }
  const owners = new Set([...owner.values()].map((s) => s.id));
  const drop = new Set<string>();
  const trim = new Set<string>();
  let kept = 0;
  for (const s of indexed) {
    if (s.day >= cutoffDay) continue;
    if (s.status === 'running' || newest.has(s.id)) kept++;
    else if (owners.has(s.id)) {
      if (s.details) trim.add(s.id);
    } else drop.add(s.id);
  }
  return { drop, trim, kept };
}

/**
 * Drift's reader for each view (materializations, pushes) and service, threshold and count up to `keep` (2); 501, above
 * every row count generated, reads only runs of unknown count.
 */
const readers = (['a', 'b'] as const).flatMap((view) => (['materialize', 'push'] as const).map((kind) => [{ view }, kind] as const))
  .concat([[{ service: 's' }, 'dataset'] as never])
  .flatMap(([target, kind]) => [1, 5, 30, 40, 41, 500, 501].flatMap((minRows) => [1, 2].map((n) => [{ ...target, runId: '', minRows }, kind, n] as const)));

const ids = (db: StateDb, sql: string) => new Set((db.prepare(sql).all() as { id: string }[]).map((r) => r.id));

describe('pruneRuns', () => {
  it('removes exactly what the naive reference removes, and cuts exactly the runs it cuts', () => {
    fc.assert(
      fc.property(fc.array(runSpec, { maxLength: 30 }), fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 2 }), restarts, (specs, cutoffDay, keep, restarted) => {
        const db = fill(specs, restarted);
        try {
          const references = () => readers.filter(([, , n]) => n <= keep).map(([q, kind, n]) => previousRuns(db, q, kind, n));
          const before = references();
          const want = naive(specs, cutoffDay, keep, restarted);
          const dry = pruneRuns(db, { before: new Date(at(cutoffDay)), keep, dryRun: true });
          expect([dry.deleted, dry.trimmed, dry.protected]).toEqual([want.drop.size, want.trim.size, want.kept]);
          expect(ids(db, 'SELECT id FROM runs').size).toBe(specs.length);

          const res = pruneRuns(db, { before: new Date(at(cutoffDay)), keep });
          expect([res.deleted, res.trimmed, res.protected]).toEqual([want.drop.size, want.trim.size, want.kept]);
          const all = specs.map((_, i) => `r${i}`);
          expect(ids(db, 'SELECT id FROM runs')).toEqual(new Set(all.filter((id) => !want.drop.has(id))));
          const withDetails = all.filter((id, i) => specs[i].details && !want.drop.has(id) && !want.trim.has(id));
          expect(ids(db, 'SELECT DISTINCT run_id AS id FROM check_results')).toEqual(new Set(withDetails));
          expect(ids(db, 'SELECT DISTINCT run_id AS id FROM profiles')).toEqual(new Set(withDetails));
          expect(ids(db, 'SELECT DISTINCT run_id AS id FROM alert_attempts')).toEqual(new Set(all.filter((id, i) => specs[i].attempts && !want.drop.has(id) && !want.trim.has(id))));
          // Tamper checksums go only with their run.
          const partitioned = all.filter((id, i) => specs[i].kind === 'materialize' && specs[i].view !== null && specs[i].partitions.length > 0 && !want.drop.has(id));
          expect(ids(db, 'SELECT DISTINCT run_id AS id FROM guard_partitions')).toEqual(new Set(partitioned));

          // Drift reads what it read before, whatever its min_rows and n up to keep.
          expect(references()).toEqual(before);

          // A second prune finds nothing more to do.
          const again = pruneRuns(db, { before: new Date(at(cutoffDay)), keep });
          expect([again.deleted, again.trimmed]).toEqual([0, 0]);
        } finally {
          db.close();
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('pruneRuns and the drift reference', () => {
  it('keeps the last run drift can read when newer empty windows outnumber keep', () => {
    // A paused feed: one real window, then many empty incremental runs (warned by anomaly.volume), all old.
    const db = fill([
      { kind: 'materialize', view: 'a', service: null, status: 'success', rows: 537, despiteBlock: false, day: 0, details: true, attempts: false, partitions: [] },
      ...[1, 2, 3, 4].map((day): RunSpec => ({ kind: 'materialize', view: 'a', service: null, status: 'warned', rows: 0, despiteBlock: false, day, details: true, attempts: false, partitions: [] })),
    ]);
    try {
      expect(previousRuns(db, { view: 'a', runId: '', minRows: 30 }, 'materialize', 1)).toEqual(['r0']);
      const res = pruneRuns(db, { before: new Date(at(9)), keep: 3 });
      expect(previousRuns(db, { view: 'a', runId: '', minRows: 30 }, 'materialize', 1)).toEqual(['r0']);
      expect(res.deleted).toBe(1); // the oldest empty window
    } finally {
      db.close();
    }
  });

  it('keeps an old run of unknown row count while a newer run has a known one: a min_rows above that count reads only it', () => {
    // The property's counterexample (seed -657151424): the newer run r0 holds 500 rows, the older r1 recorded none.
    // Drift admits a run without a count at any min_rows, so with min_rows 501 (or any above 500) r1 is its reference.
    // A materialization records no service; the example holds one as generated, and without one it is the same.
    for (const service of ['s', null] as const) {
      const specs: RunSpec[] = [
        { kind: 'materialize', view: 'a', service, status: 'success', rows: 500, despiteBlock: false, day: 1, details: true, attempts: false, partitions: [] },
        { kind: 'materialize', view: 'a', service, status: 'success', rows: null, despiteBlock: false, day: 0, details: true, attempts: false, partitions: [] },
      ];
      const db = fill(specs);
      try {
        const read = (minRows: number) => previousRuns(db, { view: 'a', runId: '', minRows }, 'materialize', 1);
        expect([read(500), read(501)]).toEqual([['r0'], ['r1']]);
        const want = naive(specs, 1, 1);
        expect([want.drop.size, want.trim.size, want.kept], String(service)).toEqual([0, 0, 1]);
        const res = pruneRuns(db, { before: new Date(at(1)), keep: 1 });
        expect([res.deleted, res.trimmed, res.protected], String(service)).toEqual([0, 0, 1]);
        expect([read(500), read(501)]).toEqual([['r0'], ['r1']]);
      } finally {
        db.close();
      }
    }
  });
});

describe('pruneRuns dryRun', () => {
  it('has one meaning in what it does and what it answers: a value that is not a boolean is refused, nothing removed', () => {
    const old: RunSpec = { kind: 'check', view: 'a', service: null, status: 'failed', rows: 0, despiteBlock: false, day: 0, details: true, attempts: false, partitions: [] };
    const db = fill([old, { ...old, day: 1 }]);
    try {
      const count = () => (db.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n;
      for (const dryRun of ['yes', 1, null]) {
        expect(() => pruneRuns(db, { before: new Date(at(9)), keep: 0, dryRun: dryRun as never }), String(dryRun)).toThrow(expect.objectContaining({ code: 'bad_request', message: expect.stringMatching(/^invalid dryRun: true or false \(got (a string|a number|null)\)$/) }));
      }
      expect(count()).toBe(2);
      expect(pruneRuns(db, { before: new Date(at(9)), keep: 0, dryRun: true })).toMatchObject({ deleted: 2, dryRun: true });
      expect(count()).toBe(2);
      expect(pruneRuns(db, { before: new Date(at(9)), keep: 0 })).toMatchObject({ deleted: 2, dryRun: false });
      expect(count()).toBe(0);
    } finally {
      db.close();
    }
  });
});
