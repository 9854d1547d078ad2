/**
 * A join key retyped upstream after `apply` (a BIGINT key rewritten as DECIMAL with fractions, or as text) must
 * never be cast into other entities' keys: materialize and `check` block with `schema.type` for the key (the
 * online store stays as it was), a dataset build is blocked with the same `schema.type` result before it reads a
 * row (it was refused with `source_unreadable`), through the real services, for a Parquet file and for a DuckDB table.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { defineEntity, defineFeatureView, defineSource } from '../../src/definitions/define.js';
import type { SourceDef } from '../../src/definitions/types.js';
import { checkView } from '../../src/guards/check-run.js';
import { materialize } from '../../src/materialize/materialize.js';
import { getHistoricalFeatures } from '../../src/offline/historical.js';
import { literal } from '../../src/offline/engine.js';
import { openProject, type Project } from '../../src/project.js';
import { getOnlineFeatures } from '../../src/serving/online-features.js';

/** 30 customers, a row each per hour of 2024-01-01 and -02; noise = the customer's id + 0.25 (it names its customer). */
const ROWS = `SELECT (i % 30)::BIGINT AS customer_id, TIMESTAMP '2024-01-01' + INTERVAL (i) MINUTE * 48 AS ts, (i % 30) + 0.25 AS noise FROM range(60) r(i)`;
const RETYPED = `SELECT * REPLACE ((customer_id + 0.6)::DECIMAL(21,1) AS customer_id) FROM (${ROWS})`;
const AS_TEXT = `SELECT * REPLACE (customer_id::VARCHAR AS customer_id) FROM (${ROWS})`;

let dir: string | undefined;
let project: Project | undefined;
afterEach(async () => {
  await project?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  project = undefined;
  dir = undefined;
});

type Kind = 'parquet' | 'table';

async function write(kind: Kind, sql: string): Promise<void> {
  const db = await DuckDBInstance.create(kind === 'table' ? join(dir!, 'data', 'cust.duckdb') : ':memory:');
  const conn = await db.connect();
  if (kind === 'table') await conn.run(`CREATE OR REPLACE TABLE cust AS ${sql}`);
  else await conn.run(`COPY (${sql}) TO ${literal(join(dir!, 'data', 'cust.parquet'))} (FORMAT parquet)`);
  conn.closeSync();
  db.closeSync();
}

async function setUp(kind: Kind): Promise<Project> {
  dir = mkdtempSync(join(tmpdir(), 'fg-keys-'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'featureguard.yaml'), 'project: keys_test\n');
  await write(kind, ROWS);
  const source: SourceDef = kind === 'table'
    ? defineSource({ name: 'cust_src', database: 'data/cust.duckdb', table: 'cust', timestamp_field: 'ts' })
    : defineSource({ name: 'cust_src', path: 'data/cust.parquet', timestamp_field: 'ts' });
  project = openProject(dir);
  project.registry.apply([
    defineEntity({ name: 'customer', join_keys: [{ name: 'customer_id', type: 'int64' }] }),
    source,
    defineFeatureView({ name: 'cust', entities: ['customer'], source: 'cust_src', ttl: '0', online: true, features: [{ name: 'noise', type: 'float64' }] }),
  ]);
  return project;
}

async function online(p: Project) {
  const r = await getOnlineFeatures(p, { features: ['cust:noise'], entities: { customer_id: [0, 1, 29, 30] } });
  return r.results.map((x) => x.values);
}

describe('a join key retyped upstream after apply', () => {
  it.each([
    ['parquet', 'DECIMAL(21,1) with fractions', RETYPED, 'DECIMAL(21,1)'],
    ['table', 'DECIMAL(21,1) with fractions', RETYPED, 'DECIMAL(21,1)'],
    ['parquet', 'text', AS_TEXT, 'VARCHAR'],
  ] as const)('%s source, key as %s: materialize, check and a dataset build block with schema.type, the online store is unchanged', async (kind, _what, retyped, type) => {
    const p = await setUp(kind);
    const [ok] = await materialize(p, { start: '2024-01-01', end: '2024-01-02' });
    expect(ok.status, ok.message ?? '').not.toMatch(/failed|blocked/);
    const before = await online(p);
    expect(before[1]).toEqual([0.25, 1.25, 29.25, null]);

    await write(kind, retyped);
    const [r] = await materialize(p, { start: '2024-01-02', end: '2024-01-03' });
    expect(r.status).toBe('blocked');
    const key = r.checks.find((c) => c.check === 'schema' && c.method === 'type' && c.feature === 'customer_id');
    expect(key?.status).toBe('fail');
    expect(key?.message).toContain(`join key 'customer_id' is ${type} in the source, declared int64`);
    expect(r.entitiesWritten).toBe(0);
    expect(await online(p)).toEqual(before);

    const c = await checkView(p, { view: 'cust', start: '2024-01-02', end: '2024-01-03' });
    expect(c.verdict).toBe('block');
    expect(c.results.find((x) => x.check === 'schema' && x.method === 'type' && x.feature === 'customer_id')?.status).toBe('fail');

    const d = await getHistoricalFeatures(p, { entities: [{ customer_id: 1, event_timestamp: '2024-01-02T23:00:00Z' }], features: ['cust:noise'] });
    expect(d.status).toBe('blocked');
    expect(d.table).toBeNull();
    const dsKey = d.checks.results.find((x) => x.check === 'schema' && x.method === 'type' && x.feature === 'customer_id');
    expect(dsKey?.status).toBe('fail');
    expect(dsKey?.details).toEqual(key?.details);
    expect(dsKey?.message).toContain(`join key 'customer_id' is ${type} in the source, declared int64`);
    expect(p.runs.get(d.run.id)?.status).toBe('blocked');
  });

  it("blocks a view's first incremental materialization too (its window starts at the source's earliest row)", async () => {
    const p = await setUp('parquet');
    await write('parquet', RETYPED);
    const [r] = await materialize(p, { incremental: true, end: '2024-01-03' });
    expect(r.status, r.message ?? '').toBe('blocked');
    expect(r.message).toContain("schema.type: join key 'customer_id' is DECIMAL(21,1) in the source");
    expect(await online(p)).toEqual([[0, 1, 29, 30], [null, null, null, null]]);
  });

  it('a feature retyped upstream (float64 declared, text written): a dataset build is blocked with schema.type for it instead of casting it (a review finding: an int64 written as DOUBLE 2.6 was read as 3)', async () => {
    const p = await setUp('parquet');
    await write('parquet', `SELECT * REPLACE (noise::VARCHAR AS noise) FROM (${ROWS})`);
    const d = await getHistoricalFeatures(p, { entities: [{ customer_id: 1, event_timestamp: '2024-01-02T23:00:00Z' }], features: ['cust:noise'] });
    expect(d.status).toBe('blocked');
    expect(d.table).toBeNull();
    expect(d.checks.blockedReason).toContain('schema.type: noise is VARCHAR but declared float64');
    expect(d.checks.results.find((x) => x.check === 'schema' && x.method === 'type' && x.feature === 'noise')?.details).toMatchObject({ declared: 'float64', actual: 'VARCHAR' });
  });
});

