/**
 * The latest row per entity against a plain-loop reference on random rows:
 * repeated keys, NULL keys and timestamps, exact ties of event time, created time
 * (with NULLs) and feature values (with NULLs), so every level of the tie-break matters.
 * And against the point-in-time join asked at an instant after every row: the
 * online row must be the one a training set holds (no training/serving skew on ties).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureDef, JoinKey } from '../definitions/types.js';
import { literal, openOfflineEngine } from '../offline/engine.js';
import { pointInTimeJoinSql } from '../offline/point-in-time.js';
import { latestPerEntitySql } from './latest-sql.js';

interface Row { k1: number | null; k2: string | null; ets: number | null; cts: number | null; f1: number | null; f2: string | null }

const KEYS: JoinKey[] = [{ name: 'k1', type: 'int64' }, { name: 'k2', type: 'string' }];
const FEATURES: FeatureDef[] = [{ name: 'f1', type: 'float64' }, { name: 'f2', type: 'string' }];

/** DESC NULLS LAST on one value: negative when `a` comes first. */
function desc<T extends number | string>(a: T | null, b: T | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a > b ? -1 : 1;
}

const F1 = [null, -1.5, 0, 2.25] as const;
const F2 = [null, 'x', 'y', 'z'] as const;
/** DuckDB's `hash(f1, f2)` of every pair of values the rows can hold (the tie-break's input; computed once). */
const hashes = new Map<string, bigint>();
const pair = (f1: number | null, f2: string | null) => JSON.stringify([f1, f2]);

/** The reference: per (k1, k2) without NULLs, the first row by event, created, hash(f1, f2), f1, f2, each DESC NULLS LAST. */
function naiveLatest(rows: readonly Row[]): Map<string, Row> {
  const out = new Map<string, Row>();
  const h = (r: Row) => hashes.get(pair(r.f1, r.f2))!;
  for (const r of rows) {
    if (r.k1 === null || r.k2 === null || r.ets === null) continue;
    const key = `${r.k1}|${r.k2}`;
    const best = out.get(key);
    const cmp = best === undefined ? -1 : desc(r.ets, best.ets) || desc(r.cts, best.cts) || (h(r) === h(best) ? 0 : h(r) > h(best) ? -1 : 1) || desc(r.f1, best.f1) || desc(r.f2, best.f2);
    if (cmp < 0) out.set(key, r);
  }
  return out;
}

let conn: DuckDBConnection;
let n = 0;
beforeAll(async () => {
  conn = await (await openOfflineEngine()).connect();
  for (const f1 of F1) {
    for (const f2 of F2) {
      const r = await conn.runAndReadAll(`SELECT hash(${f1 ?? 'NULL'}::DOUBLE, ${f2 === null ? 'NULL' : literal(f2)}::VARCHAR)`);
      hashes.set(pair(f1, f2), BigInt(r.getRowsJS()[0][0] as bigint));
    }
  }
});
afterAll(() => conn.closeSync());

const ts = (minute: number | null) => (minute === null ? 'NULL::TIMESTAMP' : `TIMESTAMP '2024-01-01' + INTERVAL (${minute}) MINUTE`);

async function rowsTable(rows: readonly Row[]): Promise<string> {
  const table = `latest_prop_${++n}`;
  const values = rows.map((r) => `(${r.k1 ?? 'NULL'}, ${r.k2 === null ? 'NULL' : literal(r.k2)}, ${ts(r.ets)}, ${ts(r.cts)}, ${r.f1 ?? 'NULL'}::DOUBLE, ${r.f2 === null ? 'NULL' : literal(r.f2)})`);
  await conn.run(`CREATE TEMP TABLE ${table} (k1 BIGINT, k2 VARCHAR, event_timestamp TIMESTAMP, created_timestamp TIMESTAMP, f1 DOUBLE, f2 VARCHAR)`);
  if (values.length) await conn.run(`INSERT INTO ${table} VALUES ${values.join(', ')}`);
  return table;
}

async function sqlLatest(rows: readonly Row[], orderByKeyText: boolean): Promise<{ map: Map<string, Row>; order: string[] }> {
  const table = await rowsTable(rows);
  const result = await conn.runAndReadAll(latestPerEntitySql({ table, joinKeys: KEYS, features: FEATURES, orderByKeyText }));
  await conn.run(`DROP TABLE ${table}`);
  const map = new Map<string, Row>();
  const order: string[] = [];
  for (const r of result.getRowObjectsJS() as Record<string, unknown>[]) {
    const minute = (us: unknown) => (Number(us) - Date.UTC(2024, 0, 1) * 1000) / 60e6;
    const key = `${Number(r.k1)}|${String(r.k2)}`;
    order.push(JSON.stringify([Number(r.k1), String(r.k2)]));
    map.set(key, { k1: Number(r.k1), k2: String(r.k2), ets: minute(r.__fg_ets), cts: Number(r.__fg_cts) === 0 ? null : minute(r.__fg_cts), f1: (r.f1 as number | null) ?? null, f2: (r.f2 as string | null) ?? null });
  }
  return { map, order };
}

const row = fc.record({
  k1: fc.option(fc.integer({ min: 1, max: 3 }), { freq: 8 }),
  k2: fc.option(fc.constantFrom('a', 'b'), { freq: 8 }),
  ets: fc.option(fc.integer({ min: 0, max: 3 }), { freq: 10 }),
  cts: fc.option(fc.integer({ min: 0, max: 2 }), { freq: 2 }),
  f1: fc.option(fc.constantFrom(...F1.slice(1)), { freq: 3 }),
  f2: fc.option(fc.constantFrom(...F2.slice(1)), { freq: 3 }),
});

/** Feature values per entity of the point-in-time join, asked for every entity at an instant after all rows. */
async function joinedAtEnd(rows: readonly Row[]): Promise<Map<string, { f1: number | null; f2: string | null }>> {
  const table = await rowsTable(rows);
  const sql = pointInTimeJoinSql({
    entitySql: `SELECT (row_number() OVER (ORDER BY k1, k2) - 1) AS __fg_row, k1, k2, TIMESTAMP '2030-01-01' AS event_timestamp FROM (SELECT DISTINCT k1, k2 FROM ${table} WHERE k1 IS NOT NULL AND k2 IS NOT NULL AND event_timestamp IS NOT NULL)`,
    entityColumns: ['k1', 'k2'],
    availability: 'event',
    views: [{ name: 'v', relationSql: `SELECT * FROM ${table}`, joinKeys: ['k1', 'k2'], features: FEATURES.map((f) => ({ feature: f.name, column: f.name })), allFeatures: FEATURES.map((f) => f.name), ttlMicros: 0 }],
  });
  const result = (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  await conn.run(`DROP TABLE ${table}`);
  return new Map(result.map((r) => [`${Number(r.k1)}|${String(r.k2)}`, { f1: (r.f1 as number | null) ?? null, f2: (r.f2 as string | null) ?? null }]));
}

describe('latest row per entity', () => {
  it('matches the plain-loop reference on random rows with ties and NULLs at every level', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 40 }), async (rows) => {
        const { map } = await sqlLatest(rows, false);
        expect(map).toEqual(naiveLatest(rows));
      }),
      { numRuns: 150 },
    );
  });

  it('holds the row the point-in-time join picks at an instant after every row: the same tie-break (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 40 }), async (rows) => {
        const online = new Map([...(await sqlLatest(rows, false)).map].map(([k, r]) => [k, { f1: r.f1, f2: r.f2 }]));
        expect(online).toEqual(await joinedAtEnd(rows));
      }),
      { numRuns: 150 },
    );
  });

  it('orders the rows by the online key text when asked (SQLite inserts in key order)', async () => {
    const rows: Row[] = [3, 1, 2].flatMap((k1) => ['b', 'a'].map((k2) => ({ k1, k2, ets: 1, cts: null, f1: 1, f2: 'x' })));
    const { order } = await sqlLatest(rows, true);
    expect(order).toEqual([...order].sort());
    expect(order).toHaveLength(6);
  });
});
