/**
 * The three guard demos of `examples/flights/guards-demo.sh`, through the CLI in
 * process (`main(argv, io)`) on the real, unshifted flights data, with smaller
 * windows: a dataset build that flags the imbalance of `delayed`, June drifting
 * from a January baseline, and materializations blocked by a broken source and
 * by an edited history, leaving the online store untouched. Expected figures are
 * computed independently from the Parquet files with DuckDB.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { breakAirportHourly } from '../../examples/flights/break-source.js';
import { main } from '../../src/cli/main.js';
import { openProject } from '../../src/project.js';
import type { CheckResult, Run } from '../../src/runs/types.js';
import { copyFlightsProject } from '../helpers/flights.js';

const tmp = mkdtempSync(join(tmpdir(), 'fg-guards-demo-'));
let dir: string;
let conn: DuckDBConnection;

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['--project', dir, ...args], { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), isTty: false });
  return { code, out, err };
}

async function cliJson<T>(...args: string[]): Promise<{ code: number; json: T; err: string }> {
  const r = await cli('--json', ...args);
  return { code: r.code, json: JSON.parse(r.out) as T, err: r.err };
}

type Shown = { run: Run; results: CheckResult[] };
type Materialized = { view: string; status: string; run: Run; rowsRead: number; entitiesWritten: number; message: string | null }[];

async function materialize(start: string, end: string): Promise<{ code: number; result: Materialized[number] }> {
  const r = await cliJson<Materialized>('materialize', '--views', 'airport_hourly', '--start', start, '--end', end);
  return { code: r.code, result: r.json[0] };
}

async function one<T>(sql: string): Promise<T> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJS()[0] as T;
}

const FEATURES = ['departures', 'mean_delay', 'p90_delay', 'share_delayed', 'mean_distance'];

/** Every airport's stored vector, read from the online store directly. */
async function onlineSnapshot(origins: string[]): Promise<unknown[]> {
  const project = openProject(dir);
  try {
    const store = await project.onlineStore();
    return await store.readMany('airport_hourly', FEATURES, origins.map((o) => [o]));
  } finally {
    await project.close();
  }
}

beforeAll(async () => {
  dir = await copyFlightsProject(join(tmp, 'flights'));
  conn = await (await DuckDBInstance.create(':memory:')).connect();
  await conn.run("SET TimeZone = 'UTC'");
  expect((await cli('apply')).code).toBe(0);
});
afterAll(() => {
  conn?.closeSync();
  rmSync(tmp, { recursive: true, force: true });
});

describe('guards demo on the flights data', () => {
  it('a dataset build for delay_model flags the imbalance of delayed (warn), in the report, the manifest and the quality log', async () => {
    const entities = `SELECT * FROM '${dir}/data/training_entities.parquet' WHERE event_timestamp >= TIMESTAMP '2001-05-01' AND event_timestamp < TIMESTAMP '2001-05-04'`;
    const out = join(dir, 'data', 'train_may.parquet');
    const build = await cli('dataset', 'build', '--service', 'delay_model', '--availability', 'created', '--entities-sql', entities, '--out', out);
    expect(build.code).toBe(0);
    expect(build.out).toMatch(/\[warn\] class_imbalance\.imbalance delayed: delayed: imbalance ratio \d+\.\d+ > 3/);

    // Independent reference: on-time / delayed flights of May 1-3 (2001).
    const ref = await one<{ n: bigint; pos: bigint }>(`SELECT count(*) AS n, count(*) FILTER (WHERE delayed) AS pos
      FROM '${dir}/data/flights.parquet' WHERE dep_time >= TIMESTAMP '2001-05-01' AND dep_time < TIMESTAMP '2001-05-04'`);
    const ir = (Number(ref.n) - Number(ref.pos)) / Number(ref.pos);
    expect(ir).toBeGreaterThan(3);

    const manifest = JSON.parse(readFileSync(`${out}.manifest.json`, 'utf8')) as { run_id: string; checks: { results: CheckResult[] } };
    const inManifest = manifest.checks.results.find((r) => r.check === 'class_imbalance' && r.feature === 'delayed');
    // The manifest keeps check, feature, status and message; the quality log has the figures.
    expect(inManifest).toMatchObject({ status: 'warn' });
    expect(inManifest?.message).toContain(`(${Number(ref.pos)} rows), IR ${ir.toFixed(2)}`);

    const shown = await cliJson<Shown>('runs', 'show', manifest.run_id);
    expect(shown.json.run).toMatchObject({ kind: 'dataset', service: 'delay_model', status: 'warned' });
    const logged = shown.json.results.filter((r) => r.check === 'class_imbalance' && r.method === 'imbalance');
    expect(logged).toHaveLength(1);
    // Every entity row (a flight of May 1-3) has its label: the label coverage passes.
    const covered = shown.json.results.filter((r) => r.check === 'class_imbalance' && r.method === 'labelled_rows');
    expect(covered.map((r) => [r.status, r.details?.part, r.metrics?.labelled_rows, r.metrics?.rows])).toEqual([['pass', 'all', Number(ref.n), Number(ref.n)]]);
    expect(logged[0]).toMatchObject({ feature: 'delayed', status: 'warn' });
    expect(logged[0].value).toBeCloseTo(ir, 9);
    expect(logged[0].thresholds).toMatchObject({ warn: 3 });
    expect(logged[0].metrics?.minority_count).toBe(Number(ref.pos));
    expect((await cli('runs', 'show', manifest.run_id)).out).toMatch(/\[warn\] class_imbalance\.imbalance delayed: .*imbalance ratio/);
  });

  it('June drifts from a pinned January baseline on airport_hourly; a calm June week does not', async () => {
    const jan = await materialize('2001-01-01', '2001-02-01');
    expect(jan.code).toBe(0);
    expect(jan.result.status).toBe('success');
    const pin = await cli('baseline', 'pin', '--name', 'jan', '--view', 'airport_hourly', '--from-run', jan.result.run.id);
    expect(pin.code).toBe(0);

    // Negative control: June 4-10 is close to January (no feature drifts).
    const calm = await materialize('2001-06-04', '2001-06-11');
    const calmDrift = (await cliJson<Shown>('runs', 'show', calm.result.run.id)).json.results.filter((r) => r.check === 'drift' && r.feature);
    expect(calmDrift).toHaveLength(5);
    expect(calmDrift.every((r) => r.status === 'pass')).toBe(true);

    const jun = await materialize('2001-06-11', '2001-06-18');
    expect(jun.code).toBe(0); // drift is policy warn: the run goes on
    expect(jun.result.status).toBe('warned');
    const { results } = (await cliJson<Shown>('runs', 'show', jun.result.run.id)).json;
    const drift = results.filter((r) => r.check === 'drift' && r.feature);
    const meanDelay = drift.find((r) => r.feature === 'mean_delay');
    expect(['warn', 'fail']).toContain(meanDelay?.status);
    expect(meanDelay?.method).toBe('wasserstein'); // > 1000 reference rows, many values: normed Wasserstein
    expect(meanDelay?.details).toMatchObject({ reference: 'baseline:jan', reference_run_id: jan.result.run.id });
    for (const k of ['psi', 'ks_statistic', 'ks_pvalue', 'wasserstein_normed', 'js_distance']) expect(typeof meanDelay?.metrics?.[k]).toBe('number');
    expect(meanDelay?.value).toBeGreaterThanOrEqual(0.1);
    expect(meanDelay?.metrics?.ks_pvalue).toBeLessThan(1e-6);

    // Independent reference: the mean of mean_delay over the two windows, as the metrics report them.
    const means = await one<{ jan: number; jun: number }>(`SELECT
        avg(mean_delay) FILTER (WHERE hour_end >= TIMESTAMP '2001-01-01' AND hour_end < TIMESTAMP '2001-02-01') AS jan,
        avg(mean_delay) FILTER (WHERE hour_end >= TIMESTAMP '2001-06-11' AND hour_end < TIMESTAMP '2001-06-18') AS jun
      FROM '${dir}/data/airport_hourly.parquet'`);
    expect(meanDelay?.metrics?.mean_ref).toBeCloseTo(means.jan, 6);
    expect(meanDelay?.metrics?.mean_cur).toBeCloseTo(means.jun, 6);
    expect(means.jun).toBeGreaterThan(1.5 * means.jan);
    const share = results.find((r) => r.check === 'drift' && r.method === 'drift_share');
    expect(share?.status).toBe('fail');
  });

  it('a broken source and an edited history are blocked (exit 1) and leave the online store untouched', async () => {
    // The drift test materialized up to 2001-06-18: that is what is served.
    const origins = ((await conn.runAndReadAll(`SELECT DISTINCT origin FROM '${dir}/data/airport_hourly.parquet' ORDER BY 1`)).getRowsJS()).map((r) => String(r[0]));
    const before = await onlineSnapshot(origins);
    expect(before.filter((v) => v !== undefined).length).toBeGreaterThan(200);

    // a. share_delayed written as a percentage for the next week.
    const broken = await breakAirportHourly(join(dir, 'data'), { kind: 'percent', from: '2001-06-18', to: '2001-06-25' });
    expect(broken.rowsChanged).toBeGreaterThan(10_000);
    const a = await cli('materialize', '--views', 'airport_hourly', '--start', '2001-06-18', '--end', '2001-06-25');
    expect(a.code).toBe(1);
    expect(a.out).toMatch(/airport_hourly: blocked: schema\.range: share_delayed outside \[0, 1\] in \d+ of \d+ rows \(min [0-9.e-]+, max [0-9.e-]+\)/);
    const aRun = (await cliJson<{ runs: Run[] }>('runs', 'list', '--view', 'airport_hourly', '--limit', '1')).json.runs[0];
    expect(aRun).toMatchObject({ status: 'blocked', rows_out: 0 });
    const aShown = await cli('runs', 'show', aRun.id);
    expect(aShown.out).toContain('status BLOCKED');
    expect(aShown.out).toMatch(/WHY: schema\.range: share_delayed outside \[0, 1\] in \d+ of \d+ rows/);
    expect(await onlineSnapshot(origins)).toEqual(before);

    // b. the source is fixed, but ATL's June 14 (already materialized) was rewritten.
    await breakAirportHourly(join(dir, 'data'), { kind: 'restore' });
    const tampered = await breakAirportHourly(join(dir, 'data'), { kind: 'tamper', day: '2001-06-14', origin: 'ATL' });
    expect(tampered.rowsChanged).toBeGreaterThan(10);
    const b = await materialize('2001-06-18', '2001-06-25');
    expect(b.code).toBe(1);
    expect(b.result).toMatchObject({ status: 'blocked', entitiesWritten: 0 });
    const bResults = (await cliJson<Shown>('runs', 'show', b.result.run.id)).json.results;
    const tamper = bResults.find((r) => r.check === 'provenance' && r.status === 'fail');
    expect(tamper?.message).toMatch(/history changed in 1 partition\(s\): 2001-06-14/);
    expect(await onlineSnapshot(origins)).toEqual(before);

    // Positive control: with the history restored the same window goes through and the store changes.
    await breakAirportHourly(join(dir, 'data'), { kind: 'restore' });
    const c = await materialize('2001-06-18', '2001-06-25');
    expect(c.code).toBe(0);
    expect(['success', 'warned']).toContain(c.result.status);
    expect(await onlineSnapshot(origins)).not.toEqual(before);
  });
});
