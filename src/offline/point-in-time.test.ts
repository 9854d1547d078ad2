/**
 * The DuckDB point-in-time join against a naive reference in plain loops
 * (test/datasets/naive-point-in-time.ts) on random data built to hit the hard
 * cases: two join keys, exact timestamp ties, equal event and different created
 * timestamps, feature rows without an event time, TTL boundaries (equal, one
 * microsecond inside, one outside), null feature values and keys, duplicate
 * entity rows, entity rows before any feature row, and both availability modes. Each view's rows are deduplicated on (keys,
 * event time) in about half the cases, so that both ways of joining a view are
 * exercised: the plain event-time inequality (rows unique on keys and time, as
 * `planViewJoins` finds) and the tie-break sort key; and both ways to leave out
 * rows that cannot be chosen (a filter, or a NULL join key: `keepIneligible`).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { naivePointInTime, type RefEntityRow, type RefFeatureRow, type RefView } from '../../test/datasets/naive-point-in-time.js';
import { openOfflineEngine } from './engine.js';
import { hiddenTimestampColumns, planViewJoins, pointInTimeJoinSql, type PitViewSpec } from './point-in-time.js';

const BASE = 1_704_067_200_000_000n; // 2024-01-01T00:00:00Z in microseconds

interface FRow { k1: number | null; k2: string; ev: number | null; cr: number | null; v1: number | null; v2: string | null }
interface GRow { k1: number | null; ev: number; cr: number | null; w: number | null }
interface ERow { k1: number | null; k2: string; ts: number }

const key1 = fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 1, arbitrary: fc.constant(null) });
const key2 = fc.constantFrom('a', 'b');
// Half the rows land on two shared instants so exact ties (event, and event+created) are common.
const offset = fc.oneof(fc.constantFrom(10, 20), fc.integer({ min: 0, max: 30 }));
const created = (ev: number) => fc.oneof(fc.constant(null), fc.constantFrom(0, 2).map((d) => ev + d), fc.integer({ min: -3, max: 8 }).map((d) => ev + d));
const fRow: fc.Arbitrary<FRow> = fc
  // A few rows have no event time at all: they can never be chosen.
  .record({ k1: key1, k2: key2, ev: fc.option(offset, { freq: 12 }), v1: fc.option(fc.constantFrom(1.5, -2, 3.25, 0), { freq: 4 }), v2: fc.option(fc.constantFrom('x', 'y'), { freq: 4 }) })
  .chain((r) => created(r.ev ?? 0).map((cr) => ({ ...r, cr })));
const gRow: fc.Arbitrary<GRow> = fc
  .record({ k1: key1, ev: offset, w: fc.option(fc.integer({ min: -5, max: 5 }), { freq: 4 }) })
  .chain((r) => created(r.ev).map((cr) => ({ ...r, cr })));
const eRow: fc.Arbitrary<ERow> = fc.record({ k1: key1, k2: key2, ts: fc.integer({ min: -2, max: 35 }) });
const scenario = fc.record({
  f: fc.array(fRow, { maxLength: 25 }),
  g: fc.array(gRow, { maxLength: 12 }),
  e: fc.array(eRow, { minLength: 1, maxLength: 25 }).chain((rows) => fc.shuffledSubarray(rows).map((dups) => [...rows, ...dups])),
  ttlF: fc.constantFrom(0, 5, 10),
  ttlG: fc.constantFrom(0, 7),
  availability: fc.constantFrom<'event' | 'created'>('event', 'created'),
  prune: fc.boolean(),
  /** View G's source has no created timestamps at all (its sort key drops the field). */
  gNoCreated: fc.boolean(),
  /** Keep only the first row per (keys, event time) of view F / G: no ties on event time. */
  dedupF: fc.boolean(),
  dedupG: fc.boolean(),
  /** `probe`: let `planViewJoins` pick the join per view; `key`: always the tie-break sort key. */
  tieBreaks: fc.constantFrom<'probe' | 'key'>('probe', 'key'),
  /** Rows that cannot be chosen stay in the join with a NULL key instead of being filtered out. */
  keepIneligible: fc.boolean(),
});

/** The first row of each (keys, event time) group, in order. */
function firstPerKeyAndTime<T extends { ev: number | null }>(rows: readonly T[], keys: (r: T) => unknown[]): T[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const k = JSON.stringify([...keys(r), r.ev]);
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/** Joins run with the plain event-time inequality, per view (both paths must be exercised). */
const plainJoins = { vf: 0, vg: 0, keyed: 0 };

const ts = (o: number | null) => (o === null ? 'NULL' : `make_timestamp(${(BASE + BigInt(o)).toString()})`);
const lit = (v: unknown) => (v === null ? 'NULL' : typeof v === 'string' ? `'${v}'` : String(v));

let conn: DuckDBConnection;
beforeAll(async () => {
  conn = await (await openOfflineEngine()).connect();
});
afterAll(() => conn?.closeSync());

async function load(name: string, cols: string, rows: string[]): Promise<void> {
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${name} (${cols})`);
  if (rows.length) await conn.run(`INSERT INTO ${name} VALUES ${rows.join(', ')}`);
}

async function hashes(sql: string): Promise<bigint[]> {
  const r = await conn.runAndReadAll(sql);
  return r.getRowsJS().map((row) => BigInt(row[0] as bigint));
}

const viewF = (ttl: number): PitViewSpec => ({
  name: 'vf',
  relationSql: 'SELECT k1, k2, event_timestamp, created_timestamp, v1, v2 FROM pit_f',
  joinKeys: ['k1', 'k2'],
  features: [{ feature: 'v1', column: 'vf__v1' }, { feature: 'v2', column: 'vf__v2' }],
  allFeatures: ['v1', 'v2'],
  ttlMicros: ttl,
});
const viewG = (ttl: number, hasCreated = true): PitViewSpec => ({
  name: 'vg',
  hasCreated,
  relationSql: 'SELECT k1, event_timestamp, created_timestamp, w FROM pit_g',
  joinKeys: ['k1'],
  features: [{ feature: 'w', column: 'vg__w' }],
  allFeatures: ['w'],
  ttlMicros: ttl,
});

/** Run the DuckDB join; rows of [row, id, vf__v1, vf__v2, vg__w, f_ev, f_cr, g_ev, g_cr]. */
async function duck(specs: PitViewSpec[], availability: 'event' | 'created', prune: boolean, tieBreaks: 'probe' | 'key' = 'key', keepIneligible = false): Promise<unknown[][]> {
  // Half the time with the pruning range (as builds use it), half without.
  const range = (await conn.runAndReadAll('SELECT min(event_timestamp)::VARCHAR, max(event_timestamp)::VARCHAR, count(*) FROM pit_e')).getRowsJS()[0];
  const entityTimeRange = prune && range[0] !== null ? { min: String(range[0]), max: String(range[1]) } : undefined;
  // Tiny data: check every view whatever its size (builds check only small ones).
  const planned = tieBreaks === 'probe' ? await planViewJoins(conn, specs, { availability, entityTimeRange, entityRows: Number(range[2]), maxRowsRatio: Infinity }) : specs;
  const views = planned.map((v) => ({ ...v, keepIneligible: keepIneligible || v.keepIneligible }));
  for (const v of views) if (v.uniqueEventTime && availability === 'event') plainJoins[v.name as 'vf' | 'vg']++;
  if (availability === 'event' && views.some((v) => !v.uniqueEventTime)) plainJoins.keyed++;
  const sql = pointInTimeJoinSql({ entitySql: 'SELECT * FROM pit_e', entityColumns: ['id', 'k1', 'k2', 'event_timestamp'], views, availability, hiddenColumns: true, entityTimeRange });
  await conn.run(`CREATE OR REPLACE TEMP TABLE pit_out AS ${sql}`);
  const h = views.map((v, i) => hiddenTimestampColumns(i, v.name));
  const r = await conn.runAndReadAll(
    `SELECT __fg_row, id, vf__v1, vf__v2, vg__w, ${h.flatMap((c) => [`epoch_us("${c.event}")`, `epoch_us("${c.created}")`]).join(', ')} FROM pit_out`,
  );
  return r.getRowsJS();
}

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

async function check(scenario: Scenario): Promise<void> {
  const s = {
    ...scenario,
    f: scenario.dedupF ? firstPerKeyAndTime(scenario.f, (r) => [r.k1, r.k2]) : scenario.f,
    g: scenario.dedupG ? firstPerKeyAndTime(scenario.g, (r) => [r.k1]) : scenario.g,
  };
  await load('pit_f', 'k1 INTEGER, k2 VARCHAR, event_timestamp TIMESTAMP, created_timestamp TIMESTAMP, v1 DOUBLE, v2 VARCHAR, rid INTEGER',
    s.f.map((r, i) => `(${lit(r.k1)}, '${r.k2}', ${ts(r.ev)}, ${ts(r.cr)}, ${lit(r.v1)}, ${lit(r.v2)}, ${i})`));
  await load('pit_g', 'k1 INTEGER, event_timestamp TIMESTAMP, created_timestamp TIMESTAMP, w BIGINT, rid INTEGER',
    s.g.map((r, i) => `(${lit(r.k1)}, ${ts(r.ev)}, ${ts(s.gNoCreated ? null : r.cr)}, ${lit(r.w)}, ${i})`));
  await load('pit_e', '__fg_row BIGINT, id INTEGER, k1 INTEGER, k2 VARCHAR, event_timestamp TIMESTAMP',
    s.e.map((r, i) => `(${i}, ${i}, ${lit(r.k1)}, '${r.k2}', ${ts(r.ts)})`));
  // The tie-break is DuckDB's hash of all feature values: computed here as data for the reference.
  const fh = await hashes('SELECT hash(v1, v2) FROM pit_f ORDER BY rid');
  const gh = await hashes('SELECT hash(w) FROM pit_g ORDER BY rid');
  const big = (o: number | null) => (o === null ? null : BASE + BigInt(o));
  const refViews: RefView[] = [
    { keyIndexes: [0, 1], ttlMicros: BigInt(s.ttlF), rows: s.f.flatMap((r, i): RefFeatureRow[] => (r.ev === null ? [] : [{ keys: [r.k1, r.k2], event: big(r.ev)!, created: big(r.cr), values: [r.v1, r.v2], tiebreak: fh[i] }])) },
    { keyIndexes: [0], ttlMicros: BigInt(s.ttlG), rows: s.g.map((r, i): RefFeatureRow => ({ keys: [r.k1], event: big(r.ev)!, created: s.gNoCreated ? null : big(r.cr), values: [r.w === null ? null : BigInt(r.w)], tiebreak: gh[i] })) },
  ];
  const ents: RefEntityRow[] = s.e.map((r) => ({ keys: [r.k1, r.k2], ts: BASE + BigInt(r.ts) }));
  const expected = naivePointInTime(ents, refViews, s.availability).map((per, i) => [
    BigInt(i), i,
    per[0].values?.[0] ?? null, per[0].values?.[1] ?? null, per[1].values?.[0] ?? null,
    per[0].event, per[0].created, per[1].event, per[1].created,
  ]);
  const got = await duck([viewF(s.ttlF), viewG(s.ttlG, !s.gNoCreated)], s.availability, s.prune, s.tieBreaks, s.keepIneligible);
  expect(got).toEqual(expected);
}

describe('pointInTimeJoinSql', () => {
  it('matches the naive reference on random data (both availability modes, both ways to break ties)', async () => {
    await fc.assert(fc.asyncProperty(scenario, check), { numRuns: 160 });
    // Both ways of joining a view ran, for each view.
    expect(plainJoins.vf).toBeGreaterThan(5);
    expect(plainJoins.vg).toBeGreaterThan(5);
    expect(plainJoins.keyed).toBeGreaterThan(5);
  });

  it('is deterministic: the same inputs give the same rows in the same order', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        await check(s);
        const a = await duck([viewF(s.ttlF), viewG(s.ttlG, !s.gNoCreated)], s.availability, s.prune, s.tieBreaks, s.keepIneligible);
        const b = await duck([viewF(s.ttlF), viewG(s.ttlG, !s.gNoCreated)], s.availability, s.prune, s.tieBreaks, s.keepIneligible);
        expect(b).toEqual(a);
      }),
      { numRuns: 15 },
    );
  });
});

describe('planViewJoins', () => {
  const at = (o: number) => ts(o);
  beforeAll(async () => {
    // Keys 0 and 1; two rows tie on (k1 = 0, t = 5); a tie with a NULL key and a tie at t = 40 also exist.
    await load('tb_f', 'k1 INTEGER, k2 VARCHAR, event_timestamp TIMESTAMP, created_timestamp TIMESTAMP, v1 DOUBLE, v2 VARCHAR', [
      `(0, 'a', ${at(5)}, NULL, 1, 'x')`, `(0, 'a', ${at(5)}, NULL, 2, 'y')`, `(1, 'a', ${at(5)}, NULL, 3, 'x')`,
      `(NULL, 'a', ${at(7)}, NULL, 1, 'x')`, `(NULL, 'a', ${at(7)}, NULL, 2, 'x')`,
      `(1, 'a', ${at(40)}, NULL, 1, 'x')`, `(1, 'a', ${at(40)}, NULL, 2, 'x')`,
    ]);
  });
  const view = (where: string): PitViewSpec => ({ ...viewF(0), relationSql: `SELECT k1, k2, event_timestamp, created_timestamp, v1, v2 FROM tb_f WHERE ${where}` });
  const range = (min: number, max: number) => ({ min: `2024-01-01 00:00:00.0000${min.toString().padStart(2, '0')}`, max: `2024-01-01 00:00:00.0000${max.toString().padStart(2, '0')}` });
  const plan = async (v: PitViewSpec, opts: { range?: { min: string; max: string }; rows?: number; ratio?: number; availability?: 'event' | 'created' } = {}) =>
    (await planViewJoins(conn, [v], { availability: opts.availability ?? 'event', entityTimeRange: opts.range, entityRows: opts.rows ?? 100, maxRowsRatio: opts.ratio ?? Infinity }))[0];
  const unique = async (...args: Parameters<typeof plan>) => (await plan(...args)).uniqueEventTime;

  it('finds ties on (keys, event time) among the rows the join can choose, and only there', async () => {
    expect(await unique(view('true'))).toBe(false);
    expect(await unique(view('NOT (k1 = 0 AND v1 = 2)'))).toBe(false); // the tie at t = 40 is left
    expect(await unique(view('NOT (k1 = 0 AND v1 = 2)'), { range: range(0, 30) })).toBe(true); // t = 40 is after every entity row
    expect(await unique(view('k1 IS NULL OR event_timestamp < TIMESTAMP \'2024-01-01 00:00:00.00003\' AND NOT (k1 = 0 AND v1 = 2)'))).toBe(true); // ties with a NULL key never join
    expect(await unique(view('false'))).toBe(true);
  });

  it('keeps the tie-break key for large views and for availability created', async () => {
    const v = view('NOT (k1 = 0 AND v1 = 2)');
    expect(await unique(v, { range: range(0, 30), rows: 4, ratio: 0.5 })).toBe(true); // 2 eligible rows <= 4 × 0.5
    expect(await unique(v, { range: range(0, 30), rows: 3, ratio: 0.5 })).toBe(false); // 2 > 1
    expect(await unique(v, { range: range(0, 30), availability: 'created' })).toBe(false);
    expect(await unique(v, { range: range(0, 30), rows: 0 })).toBe(false);
  });

  it('keeps rows that cannot be chosen (NULL key) only when the view outnumbers the entity rows and a filter would remove under a tenth', async () => {
    const keys = view('k1 IS NOT NULL'); // 5 rows, all eligible without a range
    expect((await plan(keys, { rows: 4 })).keepIneligible).toBe(true);
    expect((await plan(keys, { rows: 4, ratio: 0.5 })).keepIneligible).toBe(true);
    expect((await plan(keys, { rows: 5, ratio: 0.5 })).keepIneligible).toBe(false);
    expect((await plan(keys, { rows: 5 })).keepIneligible).toBe(false); // not more rows than entity rows
    expect((await plan(view('true'), { rows: 4 })).keepIneligible).toBe(false); // 2 of 7 rows have a NULL key
    expect((await plan(keys, { rows: 2, range: range(0, 30) })).keepIneligible).toBe(false); // the range leaves 3 of 5
    expect((await plan(keys, { rows: 2, availability: 'created' })).keepIneligible).toBe(false);
  });
});
