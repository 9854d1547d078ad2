/**
 * A dataset build over a source whose join key or feature was retyped upstream after `apply` (an int64 column
 * rewritten as DOUBLE 2.6, which a cast would read as 3) is a data-quality finding, as a materialization of the
 * same source treats it: a blocked run of kind `dataset` with one failed `schema.type` result per retyped column
 * (the materialization's check name and details), nothing written; the SDK resolves `blocked`, the CLI exits 1
 * with the blocked manifest as JSON, `POST /v1/datasets` answers 422 `guard_blocked` — as for any blocked build
 * (it was `source_unreadable`, exit 3 / 500, a failed run).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { defineEntity, defineFeatureView, defineSource } from '../../src/definitions/define.js';
import { materialize } from '../../src/materialize/materialize.js';
import { getHistoricalFeatures } from '../../src/offline/historical.js';
import { literal } from '../../src/offline/engine.js';
import type { DatasetManifest } from '../../src/offline/manifest-types.js';
import { openProject, type Project } from '../../src/project.js';
import type { CheckResult } from '../../src/runs/types.js';
import { createApp } from '../../src/server/app.js';
import { runCli } from '../cli/cli-io.js';
import { json, post } from '../server/fixture.js';

/** 30 customers, a row each per 48 minutes of 2024-01-01 and -02; qty = the customer's id (int64), noise = id + 0.25. */
const ROWS = `SELECT (i % 30)::BIGINT AS customer_id, TIMESTAMP '2024-01-01' + INTERVAL (i) MINUTE * 48 AS ts, (i % 30)::BIGINT AS qty, (i % 30) + 0.25 AS noise FROM range(60) r(i)`;
const QTY_AS_DOUBLE = `SELECT * REPLACE ((qty + 0.6)::DOUBLE AS qty) FROM (${ROWS})`;
const KEY_AND_QTY_RETYPED = `SELECT * REPLACE ((customer_id + 0.6)::DECIMAL(21,1) AS customer_id) FROM (${QTY_AS_DOUBLE})`;

let dir: string | undefined;
let project: Project | undefined;
afterEach(async () => {
  await project?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  project = undefined;
  dir = undefined;
});

async function write(sql: string): Promise<void> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(`COPY (${sql}) TO ${literal(join(dir!, 'data', 'cust.parquet'))} (FORMAT parquet)`);
  conn.closeSync();
  db.closeSync();
}

async function setUp(): Promise<Project> {
  dir = mkdtempSync(join(tmpdir(), 'fg-retyped-ds-'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'featureguard.yaml'), 'project: retyped_ds\n');
  await write(ROWS);
  project = openProject(dir);
  project.registry.apply([
    defineEntity({ name: 'customer', join_keys: [{ name: 'customer_id', type: 'int64' }] }),
    defineSource({ name: 'cust_src', path: 'data/cust.parquet', timestamp_field: 'ts' }),
    defineFeatureView({
      name: 'cust', entities: ['customer'], source: 'cust_src', ttl: '0', online: true,
      features: [{ name: 'qty', type: 'int64' }, { name: 'noise', type: 'float64' }],
    }),
  ]);
  return project;
}

const ENTITIES = [{ customer_id: 1, event_timestamp: '2024-01-02T23:00:00Z' }];
const ENTITIES_SQL = "SELECT 1::BIGINT AS customer_id, TIMESTAMP '2024-01-02 23:00:00' AS event_timestamp";
const schemaType = (results: readonly CheckResult[]) => results.filter((r) => r.check === 'schema' && r.method === 'type' && r.status === 'fail');

describe('a dataset build over a source retyped upstream', () => {
  it('is blocked with schema.type (as a materialization of the source is), in the SDK, the run log, the CLI and POST /v1/datasets', async () => {
    const p = await setUp();
    await write(QTY_AS_DOUBLE);

    // The materialization of the same source: what the dataset build must agree with.
    const [m] = await materialize(p, { start: '2024-01-02', end: '2024-01-03' });
    expect(m.status, m.message ?? '').toBe('blocked');
    const [mQty] = schemaType(m.checks);
    expect(mQty).toMatchObject({ feature: 'qty', policy: 'block', details: { declared: 'int64', actual: 'DOUBLE' } });

    // SDK: resolves blocked (as any blocked build), nothing written, no manifest.
    const out = join(dir!, 'out', 'train.parquet');
    const res = await getHistoricalFeatures(p, { entities: ENTITIES, features: ['cust:qty', 'cust:noise'], out });
    expect(res.status).toBe('blocked');
    expect(res.outputs).toEqual([]);
    expect(existsSync(out) || existsSync(`${out}.manifest.json`)).toBe(false);
    const [qty, ...more] = schemaType(res.checks.results);
    expect(more).toEqual([]);
    expect(qty).toMatchObject({ check: 'schema', method: 'type', feature: 'qty', status: 'fail', policy: 'block' });
    expect(Object.keys(qty.details ?? {}).sort()).toEqual(Object.keys(mQty.details ?? {}).sort());
    expect(qty.details).toEqual(mQty.details);
    expect(qty.message).toContain(mQty.message);
    // Said to the SDK and to the CLI alike: both names of the option.
    expect(qty.message).toContain("so neither --allow-failed-checks nor the SDK's allowFailedChecks waives it");
    expect(res.checks.blockedReason).toMatch(/^schema\.type: qty is DOUBLE but declared int64/);

    // The quality log: a blocked dataset run with the result.
    const run = p.runs.get(res.run.id)!;
    expect(run).toMatchObject({ kind: 'dataset', status: 'blocked' });
    expect(run.message).toMatch(/^schema\.type: qty is DOUBLE/);
    expect(schemaType(p.runs.results(run.id)).map((r) => [r.feature, r.details])).toEqual([['qty', mQty.details]]);

    // HTTP: 422 guard_blocked with the run and the failed result, as any blocked build.
    const app = createApp(p);
    const r = await app.request('/v1/datasets', post({ features: ['cust:qty'], entity_rows: ENTITIES, format: 'json' }));
    expect(r.status).toBe(422);
    const { error } = await json(r);
    expect(error.code).toBe('guard_blocked');
    expect(p.runs.get(error.details.run_id)).toMatchObject({ kind: 'dataset', status: 'blocked' });
    expect(schemaType(error.details.results).map((x) => x.feature)).toEqual(['qty']);
    await p.close();
    project = undefined;

    // CLI: exit 1 and the blocked manifest as JSON, as any blocked build; `runs show` shows the result.
    const cli = (...args: string[]) => runCli(['--project', dir!, ...args]);
    const c = await cli('--json', 'dataset', 'build', '--entities-sql', ENTITIES_SQL, '--features', 'cust:qty', '--out', out);
    expect(c.code, c.err).toBe(1);
    const manifest = JSON.parse(c.out) as DatasetManifest;
    expect(manifest.checks.status).toBe('blocked');
    expect(manifest.outputs).toEqual([]);
    expect(manifest.checks.results.filter((x) => x.check === 'schema' && x.method === 'type' && x.status === 'fail').map((x) => x.feature)).toEqual(['qty']);
    expect(existsSync(out) || existsSync(`${out}.manifest.json`)).toBe(false);
    const text = await cli('dataset', 'build', '--entities-sql', ENTITIES_SQL, '--features', 'cust:qty', '--out', out);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/dataset blocked by checks \(run [0-9a-f-]+\): schema\.type: qty is DOUBLE/);
    // The flag would not help: the hint does not offer it.
    expect(text.out).toContain('--allow-failed-checks does not waive a column retyped upstream');
    expect(text.out).not.toContain('pass --allow-failed-checks');
    const allowed = await cli('dataset', 'build', '--entities-sql', ENTITIES_SQL, '--features', 'cust:qty', '--out', out, '--allow-failed-checks');
    expect(allowed.code).toBe(1);
    expect(allowed.out).toContain('--allow-failed-checks does not waive a column retyped upstream');
    expect(existsSync(out)).toBe(false);
    const shown = JSON.parse((await cli('--json', 'runs', 'show', manifest.run_id)).out) as { run: { status: string; kind: string }; results: CheckResult[] };
    expect(shown.run).toMatchObject({ kind: 'dataset', status: 'blocked' });
    expect(schemaType(shown.results).map((x) => x.feature)).toEqual(['qty']);
  });

  it('records one schema.type result per retyped column (a key and a feature), with the details a materialization gives, even with allowFailedChecks', async () => {
    const p = await setUp();
    await write(KEY_AND_QTY_RETYPED);
    const [m] = await materialize(p, { start: '2024-01-02', end: '2024-01-03' });
    expect(m.status, m.message ?? '').toBe('blocked');
    const res = await getHistoricalFeatures(p, { entities: ENTITIES, features: ['cust:qty', 'cust:noise'], allowFailedChecks: true });
    expect(res.status).toBe('blocked');
    expect(res.table).toBeNull();
    const byFeature = new Map(schemaType(res.checks.results).map((r) => [r.feature, r]));
    expect([...byFeature.keys()].sort()).toEqual(['customer_id', 'qty']);
    const mKey = schemaType(m.checks).find((r) => r.feature === 'customer_id')!;
    expect(byFeature.get('customer_id')!.details).toEqual(mKey.details);
    expect(byFeature.get('customer_id')!.message).toContain("join key 'customer_id' is DECIMAL(21,1) in the source, declared int64");
    expect(byFeature.get('qty')!.details).toMatchObject({ declared: 'int64', actual: 'DOUBLE' });
    expect(p.runs.get(res.run.id)).toMatchObject({ kind: 'dataset', status: 'blocked' });
  });
});
