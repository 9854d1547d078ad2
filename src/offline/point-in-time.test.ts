/**
 * The DuckDB point-in-time join against a naive reference in plain loops
 * (test/datasets/naive-point-in-time.ts) on random data built to hit the hard
 * cases: two join keys, exact timestamp ties, equal event and different created
 * timestamps, TTL boundaries (equal, one microsecond inside, one outside), null
 * feature values and keys, duplicate entity rows, entity rows before any feature
 * row, and both availability modes.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { naivePointInTime, type RefEntityRow, type RefFeatureRow, type RefView } from '../../test/datasets/naive-point-in-time.js';
import { openOfflineEngine } from './engine.js';
import { hiddenTimestampColumns, pointInTimeJoinSql, type PitViewSpec } from './point-in-time.js';

const BASE = 1_704_067_200_000_000n; // 2024-01-01T00:00:00Z in microseconds

interface FRow { k1: number | null; k2: string; ev: number; cr: number | null; v1: number | null; v2: string | null }
interface GRow { k1: number | null; ev: number; cr: number | null; w: number | null }
interface ERow { k1: number | null; k2: string; ts: number }

const key1 = fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 1, arbitrary: fc.constant(null) });
const key2 = fc.constantFrom('a', 'b');
// Half the rows land on two shared instants so exact ties (event, and event+created) are common.
const offset = fc.oneof(fc.constantFrom(10, 20), fc.integer({ min: 0, max: 30 }));
const created = (ev: number) => fc.oneof(fc.constant(null), fc.constantFrom(0, 2).map((d) => ev + d), fc.integer({ min: -3, max: 8 }).map((d) => ev + d));
const fRow: fc.Arbitrary<FRow> = fc
  .record({ k1: key1, k2: key2, ev: offset, v1: fc.option(fc.constantFrom(1.5, -2, 3.25, 0), { freq: 4 }), v2: fc.option(fc.constantFrom('x', 'y'), { freq: 4 }) })
  .chain((r) => created(r.ev).map((cr) => ({ ...r, cr })));
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
});

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
async function duck(views: PitViewSpec[], availability: 'event' | 'created', prune: boolean): Promise<unknown[][]> {
  // Half the time with the pruning range (as builds use it), half without.
  const range = (await conn.runAndReadAll('SELECT min(event_timestamp)::VARCHAR, max(event_timestamp)::VARCHAR FROM pit_e')).getRowsJS()[0];
  const entityTimeRange = prune && range[0] !== null ? { min: String(range[0]), max: String(range[1]) } : undefined;
  const sql = pointInTimeJoinSql({ entitySql: 'SELECT * FROM pit_e', entityColumns: ['id', 'k1', 'k2', 'event_timestamp'], views, availability, hiddenColumns: true, entityTimeRange });
  await conn.run(`CREATE OR REPLACE TEMP TABLE pit_out AS ${sql}`);
  const h = views.map((v, i) => hiddenTimestampColumns(i, v.name));
  const r = await conn.runAndReadAll(
    `SELECT __fg_row, id, vf__v1, vf__v2, vg__w, ${h.flatMap((c) => [`epoch_us("${c.event}")`, `epoch_us("${c.created}")`]).join(', ')} FROM pit_out`,
  );
  return r.getRowsJS();
}

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

async function check(s: Scenario): Promise<void> {
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
    { keyIndexes: [0, 1], ttlMicros: BigInt(s.ttlF), rows: s.f.map((r, i): RefFeatureRow => ({ keys: [r.k1, r.k2], event: big(r.ev)!, created: big(r.cr), values: [r.v1, r.v2], tiebreak: fh[i] })) },
    { keyIndexes: [0], ttlMicros: BigInt(s.ttlG), rows: s.g.map((r, i): RefFeatureRow => ({ keys: [r.k1], event: big(r.ev)!, created: s.gNoCreated ? null : big(r.cr), values: [r.w === null ? null : BigInt(r.w)], tiebreak: gh[i] })) },
  ];
  const ents: RefEntityRow[] = s.e.map((r) => ({ keys: [r.k1, r.k2], ts: BASE + BigInt(r.ts) }));
  const expected = naivePointInTime(ents, refViews, s.availability).map((per, i) => [
    BigInt(i), i,
    per[0].values?.[0] ?? null, per[0].values?.[1] ?? null, per[1].values?.[0] ?? null,
    per[0].event, per[0].created, per[1].event, per[1].created,
  ]);
  const got = await duck([viewF(s.ttlF), viewG(s.ttlG, !s.gNoCreated)], s.availability, s.prune);
  expect(got).toEqual(expected);
}

describe('pointInTimeJoinSql', () => {
  it('matches the naive reference on random data (both availability modes)', async () => {
    await fc.assert(fc.asyncProperty(scenario, check), { numRuns: 120 });
  });

  it('is deterministic: the same inputs give the same rows in the same order', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        await check(s);
        const a = await duck([viewF(s.ttlF), viewG(s.ttlG, !s.gNoCreated)], s.availability, s.prune);
        const b = await duck([viewF(s.ttlF), viewG(s.ttlG, !s.gNoCreated)], s.availability, s.prune);
        expect(b).toEqual(a);
      }),
      { numRuns: 15 },
    );
  });
});
