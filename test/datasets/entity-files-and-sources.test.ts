/**
 * Entity CSV files read with the join keys' declared types (a numeric-looking
 * string key stays a string), and sources that break after apply (file deleted,
 * a CSV value that does not parse): the build fails with an error naming the
 * view, its source and path, exit 3 in the CLI, never raw DuckDB SQL.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getHistoricalFeatures, type HistoricalFeaturesRequest } from '../../src/offline/historical.js';
import type { Project } from '../../src/project.js';
import { runCli } from '../cli/cli-io.js';
import { buildFailure, makeTinyProject } from './tiny-project.js';

let dir: string;
let project: Project;
beforeAll(async () => {
  ({ dir, project } = await makeTinyProject());
});
afterAll(async () => {
  await project?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const build = (req: Omit<HistoricalFeaturesRequest, 'baseDir'>) => getHistoricalFeatures(project, { baseDir: dir, ...req });
const failure = (req: Omit<HistoricalFeaturesRequest, 'baseDir'>) => buildFailure(project, dir, req);

const cli = (...args: string[]) => runCli(['--project', dir, ...args]);

describe('entity CSV files', () => {
  it('read string join keys that look numeric as strings (zip codes)', async () => {
    writeFileSync(join(dir, 'zips.csv'), 'merchant,user_id,event_timestamp,label\n10001,1,2024-01-01T02:00:00Z,1\n20002,2,2024-01-01 06:00:00+02:00,0\n');
    const res = await build({ entities: 'zips.csv', features: ['merchant_stats:risk', 'user_stats:txn_count'] });
    const rows = res.table!.toArray().map((r) => r.toJSON());
    const n = (v: unknown) => (v === null ? null : Number(v));
    // User 2's entity time 06:00+02:00 is 04:00Z: its rows (04:30, 05:00) are not visible yet.
    expect(rows.map((r) => [r.merchant, n(r.user_id), r.risk, n(r.txn_count), n(r.label)])).toEqual([
      ['10001', 1, null, 21, 1],
      ['20002', 2, null, null, 0],
    ]);
    expect(res.table!.schema.fields.find((f) => f.name === 'merchant')!.type.toString()).toBe('Utf8');
  });

  it('read int64 join keys as int64, and a value that is not one is a clear exit-2 error', async () => {
    writeFileSync(join(dir, 'bad-ids.csv'), 'user_id,event_timestamp\n1,2024-01-01T02:00:00Z\nabc,2024-01-01T02:00:00Z\n');
    const e = await failure({ entities: 'bad-ids.csv', features: ['user_stats:txn_count'] });
    expect(e).toMatchObject({ code: 'bad_entity_file', exitCode: 2, status: 400 });
    expect(e.message).toMatch(/^could not read entity file 'bad-ids.csv' as csv: .*Error when converting column "user_id"\. Could not convert string "abc" to 'BIGINT'/);
  });

  it('a timestamp that does not parse names the timestamp column', async () => {
    writeFileSync(join(dir, 'bad-ts.csv'), 'merchant,event_timestamp\n10001,03/01/2001 12:30\n');
    const e = await failure({ entities: 'bad-ts.csv', features: ['merchant_stats:risk'] });
    expect(e).toMatchObject({ code: 'wrong_timestamp_type', exitCode: 2 });
    expect(e.message).toMatch(/entity timestamp column 'event_timestamp'/);
  });

  it('dataset build --entities zips.csv works from the CLI', async () => {
    const r = await cli('dataset', 'build', '--entities', join(dir, 'zips.csv'), '--features', 'merchant_stats:risk', '--out', join(dir, 'o', 'zips.parquet'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('entity rows from the SDK', () => {
  const at = '2024-01-01T02:00:00Z';
  it('reject empty column names, integers beyond int64 and nested values with InputErrors', async () => {
    expect(await failure({ entities: [{ user_id: 1, event_timestamp: at, '': 1 }], features: ['user_stats:txn_count'] })).toMatchObject({ code: 'bad_column_name', exitCode: 2 });
    expect(await failure({ entities: [{ user_id: 1, event_timestamp: at, n: 2n ** 64n }], features: ['user_stats:txn_count'] })).toMatchObject({ code: 'bad_entity_value', exitCode: 2 });
    expect(await failure({ entities: [{ user_id: 1, event_timestamp: at, n: 1e20 }], features: ['user_stats:txn_count'] })).toMatchObject({ code: 'bad_entity_value', exitCode: 2 });
    expect(await failure({ entities: [{ user_id: 1, event_timestamp: at, n: { a: 1 } }], features: ['user_stats:txn_count'] })).toMatchObject({ code: 'bad_entity_value' });
  });

  it('keep int64 values at the edge of the range exactly', async () => {
    const res = await build({ entities: [{ user_id: 1, event_timestamp: at, n: 2n ** 63n - 1n }, { user_id: 1, event_timestamp: at, n: -(2n ** 63n) }], features: ['user_stats:txn_count'] });
    expect(res.table!.getChild('n')!.toArray()).toEqual(new BigInt64Array([2n ** 63n - 1n, -(2n ** 63n)]));
  });
});

describe('sources that break after apply', () => {
  const req = { entities: [{ user_id: 1, merchant: 'acme', event_timestamp: '2024-01-01T02:00:00Z' }], features: ['user_stats:txn_count', 'merchant_stats:risk'] };
  let original = '';
  beforeAll(async () => {
    const { readFileSync } = await import('node:fs');
    original = readFileSync(join(dir, 'data', 'merchant_stats.csv'), 'utf8');
  });
  afterAll(() => writeFileSync(join(dir, 'data', 'merchant_stats.csv'), original));

  it('a CSV value that does not parse as the declared type names the view, source, path and column', async () => {
    writeFileSync(join(dir, 'data', 'merchant_stats.csv'), `${original}acme,2024-01-01T01:00:00Z,abc\n`);
    const e = await failure(req);
    expect(e).toMatchObject({ code: 'source_unreadable', exitCode: 3, details: { view: 'merchant_stats', source: 'merchant_src', path: 'data/merchant_stats.csv' } });
    expect(e.message).toBe(
      "feature view 'merchant_stats' could not read its source 'merchant_src' (path 'data/merchant_stats.csv'): Conversion Error: Could not convert string 'abc' to DOUBLE when casting from source column risk",
    );
    const [run] = project.runs.list({ kind: 'dataset', status: 'failed' }).runs;
    expect(run.message).toBe(e.message);
  });

  it('a deleted source file: exit 3 from the CLI with a message naming view and source, no SQL', async () => {
    rmSync(join(dir, 'data', 'merchant_stats.csv'));
    const e = await failure(req);
    expect(e).toMatchObject({ code: 'source_unreadable', exitCode: 3 });
    expect(e.message).toMatch(/^feature view 'merchant_stats' could not read its source 'merchant_src' \(path 'data\/merchant_stats.csv'\): IO Error: No files found/);
    writeFileSync(join(dir, 'ents.csv'), 'user_id,merchant,event_timestamp\n1,acme,2024-01-01T02:00:00Z\n');
    const r = await cli('dataset', 'build', '--entities', join(dir, 'ents.csv'), '--features', 'user_stats:txn_count,merchant_stats:risk', '--out', join(dir, 'o', 'x.parquet'));
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/feature view 'merchant_stats' could not read its source 'merchant_src' \(path 'data\/merchant_stats.csv'\): IO Error: No files found/);
    expect(r.err).not.toMatch(/LINE \d|SELECT|CAST\(/);
  });

  it('a view whose source reads is not blamed', async () => {
    const res = await build({ entities: req.entities, features: ['user_stats:txn_count'] });
    expect(res.status).not.toBe('blocked');
  });
});
