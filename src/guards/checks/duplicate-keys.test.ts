/**
 * The duplicates query (duplicate rows, repeated keys, conflicting keys and examples in one pass) against a naive
 * count in TypeScript over the same random rows read back from DuckDB: exact copies, rows that conflict, NULL keys,
 * NULL times, NULL and NaN feature values, two key columns; and on the 1/16 of the key space it reads above
 * `exact_duplicates_max_rows` (the rows of that part picked by DuckDB's hash, then counted naively).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literal, openOfflineEngine } from '../../offline/engine.js';
import { countDuplicateKeys, DUPLICATE_EXAMPLES, type DuplicateKeys } from './duplicate-keys.js';

let conn: DuckDBConnection;
beforeAll(async () => {
  conn = await (await openOfflineEngine()).connect();
});
afterAll(() => conn.closeSync());

interface Row { k1: string | null; k2: number | null; ts: string | null; f_int: number | null; f_str: string | null; f_dbl: number | null; cr?: string | null }
const KEYS = ['k1', 'k2'] as const;
const FEATURES = ['f_int', 'f_str', 'f_dbl'] as const;

// Small domains, so that keys repeat by chance too; a quote in a key value.
const row: fc.Arbitrary<Row> = fc.record({
  k1: fc.constantFrom('a', 'b', "c'd", null),
  k2: fc.constantFrom(1, 2, null),
  ts: fc.constantFrom('2024-01-01 00:00:00', '2024-01-01 06:30:00', '2024-01-02 00:00:00', null),
  f_int: fc.constantFrom(0, 7, null),
  f_str: fc.constantFrom('x', 'y', null),
  f_dbl: fc.constantFrom(0, 1.5, Number.NaN, null),
  // A created time: rows of one key and time with another one are a correction, not duplicates.
  cr: fc.constantFrom('2024-01-03 00:00:00', '2024-01-04 00:00:00', null),
});
// Base rows, then exact copies of some of them and copies with one feature value changed (conflicting).
const table = fc.record({
  rows: fc.array(row, { maxLength: 60 }),
  copies: fc.array(fc.nat(), { maxLength: 20 }),
  changed: fc.array(fc.tuple(fc.nat(), fc.constantFrom(...FEATURES)), { maxLength: 20 }),
}).map(({ rows, copies, changed }) => {
  const out = [...rows];
  if (rows.length) {
    for (const i of copies) out.push({ ...rows[i % rows.length] });
    for (const [i, f] of changed) {
      const r = rows[i % rows.length];
      out.push({ ...r, [f]: f === 'f_str' ? `${r.f_str ?? ''}z` : (r[f] ?? 0) + 1 });
    }
  }
  return out;
});

function sqlValue(v: string | number | null, type: string): string {
  if (v === null) return `NULL::${type}`;
  if (typeof v === 'number') return Number.isNaN(v) ? `'nan'::${type}` : `${v}::${type}`;
  return `${literal(v)}::${type}`;
}

async function load(name: string, rows: readonly Row[]): Promise<Record<string, unknown>[]> {
  const types = { k1: 'VARCHAR', k2: 'INTEGER', ts: 'TIMESTAMP', f_int: 'INTEGER', f_str: 'VARCHAR', f_dbl: 'DOUBLE', cr: 'TIMESTAMP' } as const;
  const cols = Object.keys(types) as (keyof Row)[];
  const values = rows.map((r) => `(${cols.map((c) => sqlValue(r[c] ?? null, types[c])).join(', ')})`);
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${name} (k1 VARCHAR, k2 INTEGER, event_timestamp TIMESTAMP, f_int INTEGER, f_str VARCHAR, f_dbl DOUBLE, created_timestamp TIMESTAMP)`);
  if (values.length) await conn.run(`INSERT INTO ${name} VALUES ${values.join(', ')}`);
  // The rows as DuckDB gives them back (the examples carry these values), with the 1/16 part each row falls in.
  return (await conn.runAndReadAll(`SELECT *, hash(k1, k2, event_timestamp) % 16 = 0 AS in_part FROM ${name}`)).getRowObjectsJson() as Record<string, unknown>[];
}

/**
 * The naive count: rows grouped by (k1, k2, event_timestamp) in a Map, NULL and NaN taken as values. With `created`,
 * each key's rows are grouped again by created time: duplicates and conflicts within one created time, the other
 * created times corrections.
 */
function naive(rows: readonly Record<string, unknown>[], limit: number, created = false): DuplicateKeys {
  const id = (v: unknown) => (v === null ? '\u0000null' : typeof v === 'number' && Number.isNaN(v) ? '\u0000nan' : JSON.stringify(v));
  const groups = new Map<string, { key: Record<string, unknown>; rows: number; byCreated: Map<string, { rows: number; values: Set<string> }> }>();
  for (const r of rows) {
    const k = [...KEYS, 'event_timestamp'].map((c) => id(r[c])).join('|');
    const g = groups.get(k) ?? { key: Object.fromEntries([...KEYS, 'event_timestamp'].map((c) => [c, r[c]])), rows: 0, byCreated: new Map() };
    g.rows++;
    const c = created ? id(r.created_timestamp) : '';
    const v = g.byCreated.get(c) ?? { rows: 0, values: new Set<string>() };
    v.rows++;
    v.values.add(FEATURES.map((f) => id(r[f])).join('|'));
    g.byCreated.set(c, v);
    groups.set(k, g);
  }
  const repeated = [...groups.values()].filter((g) => g.rows > 1).map((g) => {
    const parts = [...g.byCreated.values()];
    return {
      key: g.key, rows: g.rows, dups: parts.reduce((a, p) => a + p.rows - 1, 0),
      conflicting: parts.some((p) => p.rows > 1 && p.values.size > 1), corrections: parts.length - 1,
    };
  });
  // Conflicting first, then (with a created time) duplicated, then most rows, then time and keys ascending with NULLs last.
  const cmp = (a: unknown, b: unknown) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : (a as string | number) < (b as string | number) ? -1 : 1);
  repeated.sort((a, b) => Number(b.conflicting) - Number(a.conflicting) || Number(b.dups > 0) - Number(a.dups > 0) || b.rows - a.rows || cmp(a.key.event_timestamp, b.key.event_timestamp) || cmp(a.key.k1, b.key.k1) || cmp(a.key.k2, b.key.k2));
  return {
    rows: repeated.reduce((a, g) => a + g.dups, 0),
    keys: repeated.filter((g) => g.dups > 0).length,
    conflictingKeys: repeated.filter((g) => g.conflicting).length,
    corrections: repeated.reduce((a, g) => a + g.corrections, 0),
    correctedKeys: repeated.filter((g) => g.corrections > 0).length,
    examples: repeated.slice(0, limit).map((g) => ({ key: g.key, rows: g.rows, conflicting: g.conflicting, ...(created ? { corrections: g.corrections } : {}) })),
  };
}

describe('duplicate (keys, event_timestamp) rows in one query', () => {
  it('matches a naive count: duplicate rows, keys, conflicting keys and the first examples', async () => {
    let withConflicts = 0;
    let onlyCopies = 0;
    await fc.assert(
      fc.asyncProperty(table, async (rows) => {
        const back = await load('dk', rows);
        const want = naive(back, DUPLICATE_EXAMPLES);
        if (want.conflictingKeys > 0) withConflicts++;
        if (want.keys > 0 && want.conflictingKeys === 0) onlyCopies++;
        const got = await countDuplicateKeys(conn, 'dk', { keys: [...KEYS], features: [...FEATURES], sampled: false, limit: DUPLICATE_EXAMPLES });
        expect(got).toEqual(want);
      }),
      { numRuns: 150 },
    );
    // The generator reached both kinds of windows.
    expect(withConflicts).toBeGreaterThan(10);
    expect(onlyCopies).toBeGreaterThan(0);
  });

  it('with a created time: duplicates and conflicts within one created time, other created times counted as corrections', async () => {
    let corrected = 0;
    let tied = 0;
    await fc.assert(
      fc.asyncProperty(table, async (rows) => {
        const back = await load('dk_created', rows);
        const want = naive(back, DUPLICATE_EXAMPLES, true);
        if (want.corrections > 0) corrected++;
        if (want.conflictingKeys > 0) tied++;
        const got = await countDuplicateKeys(conn, 'dk_created', { keys: [...KEYS], features: [...FEATURES], sampled: false, limit: DUPLICATE_EXAMPLES, created: 'created_timestamp' });
        expect(got).toEqual(want);
      }),
      { numRuns: 150 },
    );
    expect(corrected).toBeGreaterThan(10);
    expect(tied).toBeGreaterThan(10);
  });

  it('sampled: the same figures for the 1/16 of the key space whose hash is 0 mod 16', async () => {
    let nonEmpty = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(table, { minLength: 3, maxLength: 6 }).map((ts) => ts.flat()), async (rows) => {
        const back = await load('dk_sampled', rows);
        const want = naive(back.filter((r) => r.in_part === true), DUPLICATE_EXAMPLES);
        if (want.keys > 0) nonEmpty++;
        const got = await countDuplicateKeys(conn, 'dk_sampled', { keys: [...KEYS], features: [...FEATURES], sampled: true, limit: DUPLICATE_EXAMPLES });
        expect(got).toEqual(want);
      }),
      { numRuns: 60 },
    );
    expect(nonEmpty).toBeGreaterThan(5);
  });

  it('without feature columns every repeated key is an exact copy', async () => {
    const back = await load('dk_nofeat', [
      { k1: 'a', k2: 1, ts: '2024-01-01 00:00:00', f_int: 1, f_str: 'x', f_dbl: 0 },
      { k1: 'a', k2: 1, ts: '2024-01-01 00:00:00', f_int: 2, f_str: 'x', f_dbl: 0 },
      { k1: 'a', k2: 1, ts: '2024-01-01 00:00:00', f_int: 3, f_str: 'x', f_dbl: 0 },
    ]);
    const got = await countDuplicateKeys(conn, 'dk_nofeat', { keys: [...KEYS], features: [], sampled: false, limit: DUPLICATE_EXAMPLES });
    expect(got).toEqual({ rows: 2, keys: 1, conflictingKeys: 0, corrections: 0, correctedKeys: 0, examples: [{ key: { k1: 'a', k2: 1, event_timestamp: back[0].event_timestamp }, rows: 3, conflicting: false }] });
  });
});
