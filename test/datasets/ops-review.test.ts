/**
 * Dataset builds as an ops review found them (each reproduced first): a CLI build refused for bad input records
 * no run; entity timestamp values that are no time are named with their row and the strict parser's reason
 * (CSV file, row objects, SQL); `--json` prints the manifest as written (`relative_path`); an output named for
 * another format than `--format` is refused; a missing file in `--entities-sql` says the folder it looked in.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetManifest } from '../../src/offline/manifest-types.js';
import { openProject, type Project } from '../../src/project.js';
import { runCli } from '../cli/cli-io.js';
import { buildFailure, makeTinyProject } from './tiny-project.js';

let dir: string;
let project: Project;
beforeAll(async () => {
  ({ dir, project } = await makeTinyProject());
  await project.close(); // the CLI opens its own
  project = openProject(dir);
  writeFileSync(join(dir, 'entities.csv'), 'user_id,when\n1,2024-01-01T01:30:00Z\n2,2024-01-01T05:00:00Z\n');
});
afterAll(async () => {
  await project?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli(['--project', dir, ...args]);
const datasetRuns = () => project.runs.list({ kind: 'dataset' }).total;

describe('CLI input mistakes record no run', () => {
  it('a missing entity file and a missing timestamp column exit 2 without a run; a build still records one', async () => {
    const before = datasetRuns();
    const missing = await cli('dataset', 'build', '--entities', join(dir, 'nope.csv'), '--features', 'user_stats:txn_count', '--out', join(dir, 'o', 'x.parquet'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/does not exist/);
    const noTs = await cli('dataset', 'build', '--entities', join(dir, 'entities.csv'), '--features', 'user_stats:txn_count', '--out', join(dir, 'o', 'x.parquet'));
    expect(noTs.code).toBe(2);
    expect(datasetRuns()).toBe(before);
    const ok = await cli('dataset', 'build', '--entities', join(dir, 'entities.csv'), '--timestamp-column', 'when', '--features', 'user_stats:txn_count', '--out', join(dir, 'o', 'x.parquet'));
    expect(ok.code, ok.err).toBe(0);
    expect(datasetRuns()).toBe(before + 1);
  });

  it('--timestamp-column naming no column says so', async () => {
    const r = await cli('dataset', 'build', '--entities', join(dir, 'entities.csv'), '--timestamp-column', 'nope', '--features', 'user_stats:txn_count', '--out', join(dir, 'o', 'x.parquet'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no column 'nope', named as their timestamp column \(CLI --timestamp-column/);
    expect(r.err).not.toMatch(/add an 'event_timestamp' column/);
  });
});

describe('entity timestamps that are no time', () => {
  const features = ['user_stats:txn_count'];
  it('a CSV file: the value, its row and the reason', async () => {
    writeFileSync(join(dir, 'bad-ts.csv'), 'user_id,event_timestamp\n1,2024-01-01T01:30:00Z\n2,2026-02-30T00:00:00Z\n');
    const e = await buildFailure(project, dir, { entities: { kind: 'file', path: 'bad-ts.csv' }, features });
    expect(e.code).toBe('bad_entity_timestamp');
    expect(e.message).toBe("entity timestamp '2026-02-30T00:00:00Z' in 'event_timestamp' at row 1 (counting from 0) is no valid time: February 2026 has 28 days");
    expect(e.details).toEqual({ column: 'event_timestamp', value: '2026-02-30T00:00:00Z', row: 1 });
  });

  it('row objects and SQL', async () => {
    const rows = [{ user_id: 1, event_timestamp: '2024-01-01T01:30:00Z' }, { user_id: 1, event_timestamp: '2024-01-01T01:30:00Z' }, { user_id: 2, event_timestamp: '2024-13-01' }];
    const e = await buildFailure(project, dir, { entities: rows, features });
    expect(e.code).toBe('bad_entity_timestamp');
    expect(e.details).toEqual({ column: 'event_timestamp', value: '2024-13-01', row: 2 });
    expect(e.message).toMatch(/there is no month 13$/);
    const sql = await buildFailure(project, dir, { entities: { kind: 'sql', sql: "SELECT 1 AS user_id, '2024-04-31 10:00' AS event_timestamp UNION ALL SELECT 2, '2024-01-01'" }, features });
    expect(sql.code).toBe('bad_entity_timestamp');
    expect(sql.message).toMatch(/'2024-04-31 10:00'.*April 2024 has 30 days/);
  });

  it('a null timestamp names its row', async () => {
    const rows = [{ user_id: 1, event_timestamp: '2024-01-01T01:30:00Z' }, { user_id: 2, event_timestamp: null }];
    const e = await buildFailure(project, dir, { entities: rows, features });
    expect(e.code).toBe('null_timestamp');
    expect(e.message).toMatch(/1 entity row\(s\) have no timestamp in 'event_timestamp', the first at row 1 \(counting from 0\);/);
    expect(e.details).toMatchObject({ row: 1, rows: 1 });
  });
});

describe('outputs', () => {
  it('--json prints the manifest as written beside the output', async () => {
    const out = join(dir, 'o', 'j.parquet');
    const r = await cli('--json', 'dataset', 'build', '--entities', join(dir, 'entities.csv'), '--timestamp-column', 'when', '--features', 'user_stats:txn_count', '--out', out);
    expect(r.code, r.err).toBe(0);
    const printed = JSON.parse(r.out) as DatasetManifest;
    const written = JSON.parse(readFileSync(`${out}.manifest.json`, 'utf8')) as DatasetManifest;
    expect(printed.entities.relative_path).toBe('../entities.csv');
    expect(printed.outputs[0].relative_path).toBe('j.parquet');
    expect(printed).toEqual(written);
  });

  it('refuses --format naming another format than the file name', async () => {
    const r = await cli('dataset', 'build', '--entities', join(dir, 'entities.csv'), '--timestamp-column', 'when', '--features', 'user_stats:txn_count', '--format', 'csv', '--out', join(dir, 'o', 'f.parquet'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--format csv would write csv to '.*f\.parquet', whose \.parquet name says parquet/);
    const plain = await cli('dataset', 'build', '--entities', join(dir, 'entities.csv'), '--timestamp-column', 'when', '--features', 'user_stats:txn_count', '--format', 'csv', '--out', join(dir, 'o', 'f.txt'));
    expect(plain.code, plain.err).toBe(0);
  });

  it('a file --entities-sql does not find names the working directory', async () => {
    const r = await cli('dataset', 'build', '--entities-sql', "SELECT * FROM 'no-such-entities.parquet'", '--features', 'user_stats:txn_count', '--out', join(dir, 'o', 's.parquet'));
    expect(r.code).toBe(2);
    expect(r.err).toContain(`relative paths in the query resolve against the working directory, ${process.cwd()}`);
  });
});
