/**
 * Entity CSV files read with the join keys' declared types (a numeric-looking
 * string key stays a string), entity Parquet files (one file read in one pass,
 * globs and odd files the general way, same rows and fingerprint), and sources that break after apply (file deleted,
 * a CSV value that does not parse): the build fails with an error naming the
 * view, its source and path, exit 3 in the CLI, never raw DuckDB SQL.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOfflineEngine } from '../../src/offline/engine.js';
import { getHistoricalFeatures, type HistoricalFeaturesRequest } from '../../src/offline/historical.js';
import type { Project } from '../../src/project.js';
import { runCli } from '../cli/cli-io.js';
import { defineEntity, defineFeatureView, defineSource } from '../../src/definitions/define.js';
import { buildFailure, definitions, makeTinyProject } from './tiny-project.js';

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
    expect(e).toMatchObject({ code: 'wrong_join_key_type', exitCode: 2, status: 400 });
    expect(e.message).toBe("entity column 'user_id' holds 'abc', which is no int64 (join key of entity 'user'); give whole numbers within the int64 range");
  });

  it('a timestamp that does not parse names the timestamp column', async () => {
    writeFileSync(join(dir, 'bad-ts.csv'), 'merchant,event_timestamp\n10001,03/01/2001 12:30\n');
    const e = await failure({ entities: 'bad-ts.csv', features: ['merchant_stats:risk'] });
    expect(e).toMatchObject({ code: 'bad_entity_timestamp', exitCode: 2, details: { column: 'event_timestamp', value: '03/01/2001 12:30', row: 0 } });
    expect(e.message).toMatch(/^entity timestamp '03\/01\/2001 12:30' in 'event_timestamp' at row 0 \(counting from 0\) is no valid time: use an ISO 8601/);
  });

  it('dataset build --entities zips.csv works from the CLI', async () => {
    const r = await cli('dataset', 'build', '--entities', join(dir, 'zips.csv'), '--features', 'merchant_stats:risk', '--out', join(dir, 'o', 'zips.parquet'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('entity Parquet files', () => {
  const q = (f: string) => `'${join(dir, f)}'`;
  const rows = (res: { table: { toArray(): { toJSON(): Record<string, unknown> }[] } | null }) =>
    res.table!.toArray().map((r) => Object.fromEntries(Object.entries(r.toJSON()).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  const T = (hhmmss: string) => `TIMESTAMP '2024-01-01 ${hhmmss}'`;
  // Out of time order, with a duplicate row, a row before any feature row and an unknown user.
  const VALUES = [`(1, ${T('02:30:00')}, 'a')`, `(2, ${T('05:00:00')}, 'b')`, `(1, ${T('02:30:00')}, 'a')`, `(1, ${T('00:00:01')}, 'c')`, `(9, ${T('03:00:00')}, 'd')`, `(1, ${T('03:30:00')}, 'e')`];

  it('a single file is read in one pass: same rows, order and entity fingerprint as the same rows read another way', async () => {
    const engine = await openOfflineEngine();
    await engine.run(`COPY (SELECT * FROM (VALUES ${VALUES.join(', ')}) t(user_id, event_timestamp, note)) TO ${q('ents.parquet')} (FORMAT parquet, ROW_GROUP_SIZE 2)`);
    const features = ['user_stats:txn_count', 'user_stats:avg_amount'];
    const direct = await build({ entities: 'ents.parquet', features, out: 'o/direct.parquet' });
    const viaSql = await build({ entities: { kind: 'sql', sql: `SELECT * FROM read_parquet(${q('ents.parquet')})` }, features, out: 'o/sql.parquet' });
    const read = (f: string) => engine.all(`SELECT note, txn_count, avg_amount FROM read_parquet(${q(f)})`);
    expect(await read('o/direct.parquet')).toEqual([
      { note: 'a', txn_count: '21', avg_amount: 2.1 },
      { note: 'b', txn_count: '50', avg_amount: 5 },
      { note: 'a', txn_count: '21', avg_amount: 2.1 },
      { note: 'c', txn_count: null, avg_amount: null },
      { note: 'd', txn_count: null, avg_amount: null },
      { note: 'e', txn_count: '30', avg_amount: null },
    ]);
    expect(await read('o/sql.parquet')).toEqual(await read('o/direct.parquet'));
    expect(direct.manifest.entities.uri).toBe(`file://${join(dir, 'ents.parquet')}`);
    expect(direct.manifest.entities.fingerprint.checksum).toBe(viaSql.manifest.entities.fingerprint.checksum);
    expect(direct.manifest.entities.rows).toBe(6);
    expect(direct.manifest.time_range).toEqual(viaSql.manifest.time_range);
  });

  it('a file with its own file_row_number column, and a glob of files, keep their order', async () => {
    const engine = await openOfflineEngine();
    await engine.run(`COPY (SELECT 7 - i AS file_row_number, * FROM (VALUES ${VALUES.join(', ')}) t(user_id, event_timestamp, note), (SELECT 0) z(i)) TO ${q('frn.parquet')} (FORMAT parquet)`);
    const res = await build({ entities: 'frn.parquet', features: ['user_stats:txn_count'] });
    expect(rows(res).map((r) => [r.file_row_number, r.note, r.txn_count])).toEqual([[7, 'a', 21], [7, 'b', 50], [7, 'a', 21], [7, 'c', null], [7, 'd', null], [7, 'e', 30]]);
    await engine.run(`COPY (SELECT * FROM (VALUES ${VALUES.slice(0, 3).join(', ')}) t(user_id, event_timestamp, note)) TO ${q('part-1.parquet')} (FORMAT parquet)`);
    await engine.run(`COPY (SELECT * FROM (VALUES ${VALUES.slice(3).join(', ')}) t(user_id, event_timestamp, note)) TO ${q('part-2.parquet')} (FORMAT parquet)`);
    const glob = await build({ entities: 'part-*.parquet', features: ['user_stats:txn_count'] });
    expect(rows(glob).map((r) => r.note)).toEqual(['a', 'b', 'a', 'c', 'd', 'e']);
  });

  it('a ragged CSV file is said to be ragged, not to lack its timestamp column', async () => {
    writeFileSync(join(dir, 'ragged.csv'), 'user_id,event_timestamp\n1,2024-01-01T01:00:00Z,extra\n2\n');
    const e = await failure({ entities: 'ragged.csv', features: ['user_stats:txn_count'] });
    expect(e).toMatchObject({ code: 'bad_entity_file', exitCode: 2, message: expect.stringContaining('could not be split into columns') });
  });

  it('a timestamp text that does not parse names the timestamp column; a missing key is named too', async () => {
    const engine = await openOfflineEngine();
    await engine.run(`COPY (SELECT 1 AS user_id, 'yesterday' AS event_timestamp) TO ${q('bad-ts.parquet')} (FORMAT parquet)`);
    const e = await failure({ entities: 'bad-ts.parquet', features: ['user_stats:txn_count'] });
    expect(e).toMatchObject({ code: 'bad_entity_timestamp', exitCode: 2, details: { value: 'yesterday', row: 0 } });
    expect(e.message).toMatch(/^entity timestamp 'yesterday' in 'event_timestamp' at row 0 \(counting from 0\) is no valid time: /);
    expect(await failure({ entities: 'bad-ts.parquet', features: ['merchant_stats:risk'] })).toMatchObject({ code: 'missing_join_key' });
    writeFileSync(join(dir, 'not-parquet.parquet'), 'this is not a parquet file\n');
    expect(await failure({ entities: 'not-parquet.parquet', features: ['user_stats:txn_count'] })).toMatchObject({ code: 'bad_entity_file', exitCode: 2 });
  });
});

describe('entity SQL', () => {
  const ok = "SELECT 1::BIGINT AS user_id, TIMESTAMP '2024-01-01 02:00:00' AS event_timestamp";
  it('runs one query and nothing else: further statements, a COPY, an ATTACH or a SET are refused before anything runs', async () => {
    const written = join(dir, 'side-effect.csv');
    const attempts = [
      `${ok}) AS x; COPY (SELECT 1) TO '${written}'; SELECT * FROM (${ok}`,
      `${ok}; COPY (SELECT 1) TO '${written}'`,
      `COPY (SELECT 1) TO '${written}'`,
      "SET GLOBAL TimeZone = 'America/New_York'",
      `ATTACH '${join(dir, 'side.duckdb')}' AS side`,
    ];
    for (const sql of attempts) {
      expect(await failure({ entities: { kind: 'sql', sql }, features: ['user_stats:txn_count'] }), sql).toMatchObject({ code: 'bad_entity_sql', exitCode: 2 });
    }
    expect(existsSync(written) || existsSync(join(dir, 'side.duckdb'))).toBe(false);
    const tz = await (await openOfflineEngine()).all("SELECT current_setting('TimeZone') AS tz");
    expect(tz).toEqual([{ tz: 'UTC' }]);
  });

  it('accepts a trailing semicolon and a trailing comment', async () => {
    for (const sql of [`${ok};`, `${ok} ;\n`, `${ok} -- the first user`, `${ok}; -- the first user`, `${ok}; /* c */`, `-- users\n${ok}`]) {
      expect((await build({ entities: { kind: 'sql', sql }, features: ['user_stats:txn_count'] })).table!.numRows, sql).toBe(1);
    }
  });
});

describe('entity rows from the SDK', () => {
  const at = '2024-01-01T02:00:00Z';
  it('reject empty column names, integers beyond int64 and nested values with InputErrors; huge floats are kept', async () => {
    expect(await failure({ entities: [{ user_id: 1, event_timestamp: at, '': 1 }], features: ['user_stats:txn_count'] })).toMatchObject({ code: 'bad_column_name', exitCode: 2 });
    expect(await failure({ entities: [{ user_id: 1, event_timestamp: at, n: 2n ** 64n }], features: ['user_stats:txn_count'] })).toMatchObject({ code: 'bad_entity_value', exitCode: 2 });
    // A whole number beyond int64 is refused (an id that lost digits); in a column with fractions it is a float.
    expect(await failure({ entities: [{ user_id: 1, event_timestamp: at, n: 1e20 }], features: ['user_stats:txn_count'] })).toMatchObject({ code: 'bad_entity_value', exitCode: 2 });
    const floats = await build({ entities: [{ user_id: 1, event_timestamp: at, n: 0.5 }, { user_id: 1, event_timestamp: at, n: 1e308 }], features: ['user_stats:txn_count'] });
    expect([...floats.table!.getChild('n')!.toArray()]).toEqual([0.5, 1e308]);
    // The guards profiled it without DuckDB's stddev overflowing: no stddev for values that large.
    expect(project.runs.profile(floats.run.id, 'n')).toMatchObject({ min: 0.5, max: 1e308, stddev: null });
    expect(await failure({ entities: [{ user_id: 1, event_timestamp: at, n: { a: 1 } }], features: ['user_stats:txn_count'] })).toMatchObject({ code: 'bad_entity_value' });
  });

  it('reject columns that differ only in case, and a timestamp whose UTC offset is no offset', async () => {
    const e = await failure({ entities: [{ user_id: 1, event_timestamp: at, USER_ID: 2 }], features: ['user_stats:txn_count'] });
    expect(e).toMatchObject({ code: 'column_collision', exitCode: 2, message: "entity columns 'user_id' and 'USER_ID' differ only in case, which is one column name here; rename or drop one" });
    const bad = await failure({ entities: [{ user_id: 1, event_timestamp: at }, { user_id: 1, event_timestamp: '2024-01-01T02:00:00+99:00' }], features: ['user_stats:txn_count'] });
    expect(bad).toMatchObject({ code: 'bad_entity_timestamp', exitCode: 2, message: "entity timestamp '2024-01-01T02:00:00+99:00' in 'event_timestamp' at row 1 (counting from 0) is no valid time: it has no valid UTC offset (hours 00-23, minutes and seconds 00-59)" });
    // DuckDB reads ±HH, ±HH:MM and ±HH:MM:SS and would shift the time by any numbers in them.
    for (const text of ['2024-01-01T02:00:00+99', '2024-01-01T02:00:00+99:00:00', '2024-01-01T02:00:00+09:00:99', '2024-01-01T02:00:00+09:60', '2024-01-01T02:00-24']) {
      const e = await failure({ entities: [{ user_id: 1, event_timestamp: text }], features: ['user_stats:txn_count'] });
      expect(e, text).toMatchObject({ code: 'bad_entity_timestamp', details: { value: text, row: 0 } });
    }
    // Only A-Z fold, as in DuckDB: 'Ä' and 'ä' are two columns.
    const umlauts = await build({ entities: [{ user_id: 1, event_timestamp: at, 'Ä': 1, 'ä': 2 }], features: ['user_stats:txn_count'] });
    expect([umlauts.table!.getChild('Ä')!.get(0), umlauts.table!.getChild('ä')!.get(0)]).toEqual([1n, 2n]);
    // Real offsets (also without a colon, and with fractions) are honoured.
    const ok = await build({ entities: [{ user_id: 1, event_timestamp: '2024-01-01T03:00:00.5+01:00' }, { user_id: 1, event_timestamp: '2024-01-01T07:30:00-0530' }, { user_id: 1, event_timestamp: '2024-01-01' }, { user_id: 1, event_timestamp: '2024-01-01T00:00:00-05' }, { user_id: 1, event_timestamp: '2024-01-01T12:00:00+09:30:15' }], features: ['user_stats:txn_count'] });
    expect(ok.table!.numRows).toBe(5);
    expect([...ok.table!.getChild('event_timestamp')!.toArray()].map((t) => new Date(Number(t) / 1000).toISOString())).toEqual(['2024-01-01T02:00:00.500Z', '2024-01-01T13:00:00.000Z', '2024-01-01T00:00:00.000Z', '2024-01-01T05:00:00.000Z', '2024-01-01T02:29:45.000Z']);
  });

  it('refuse what untyped JavaScript can pass with InputErrors naming it, not TypeErrors', async () => {
    const f = ['user_stats:txn_count'];
    const bad = async (entities: unknown) => failure({ entities: entities as never, features: f });
    for (const entities of [undefined, null, 42, { user_id: [1], event_timestamp: [at] }, { kind: 'file' }, { kind: 'rows' }, { kind: 'sql', sql: 7 }]) {
      expect(await bad(entities), JSON.stringify(entities) ?? 'undefined').toMatchObject({ code: 'bad_entities', exitCode: 2 });
    }
    expect(await bad([{ user_id: 1, event_timestamp: at }, null])).toMatchObject({ code: 'bad_entity_value', message: expect.stringContaining('entity row 1 (counting from 0) is null') });
    expect(await bad([{ user_id: 1, event_timestamp: new Date('x') }])).toMatchObject({ code: 'bad_entity_timestamp', message: "entity timestamp 'Invalid Date' in 'event_timestamp' at row 0 (counting from 0) is no valid time: it is an invalid Date (new Date() of something that is no time)" });
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
    expect(e).toMatchObject({ code: 'source_unreadable', exitCode: 3, details: { view: 'merchant_stats', source: 'merchant_src', path: 'data/merchant_stats.csv', column: 'risk', value: 'abc', declared_type: 'float64' } });
    expect(e.message).toBe(
      "feature view 'merchant_stats' could not read its source 'merchant_src' (path 'data/merchant_stats.csv'): column 'risk' holds 'abc', which is no value of its declared type float64 (a CSV source is text, cast to the declared types as it is read); fix the value in the source, or declare the type its values have, then apply (`featureguard validate` checks the first rows of a CSV file)",
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
    // No absolute path of the server's: the project-relative one says which file.
    expect(e.message).not.toContain(dir);
  });

  it('a view whose source reads is not blamed', async () => {
    const res = await build({ entities: req.entities, features: ['user_stats:txn_count'] });
    expect(res.status).not.toBe('blocked');
  });
});

describe('entity join keys out of range', () => {
  it('an int32 key value beyond int32 is blamed on its column, not on the timestamp', async () => {
    const engine = await openOfflineEngine();
    await engine.run(`COPY (SELECT 1::INTEGER AS store_id, TIMESTAMP '2024-01-01 00:00:00' AS ts, 0.5::DOUBLE AS v) TO '${join(dir, 'data', 'stores.parquet')}' (FORMAT parquet)`);
    await engine.run(`COPY (SELECT 3000000000::BIGINT AS store_id, TIMESTAMP '2024-01-02' AS event_timestamp) TO '${join(dir, 'stores-entities.parquet')}' (FORMAT parquet)`);
    project.registry.apply([
      ...definitions,
      defineEntity({ name: 'store', join_keys: [{ name: 'store_id', type: 'int32' }] }),
      defineSource({ name: 'store_src', path: 'data/stores.parquet', timestamp_field: 'ts' }),
      defineFeatureView({ name: 'store_stats', entities: ['store'], source: 'store_src', features: [{ name: 'v', type: 'float64' }] }),
    ]);
    for (const entities of [[{ store_id: 3000000000, event_timestamp: '2024-01-02T00:00:00Z' }], 'stores-entities.parquet']) {
      const e = await failure({ entities, features: ['store_stats:v'] });
      expect([e.code, e.exitCode, e.message]).toEqual(['wrong_join_key_type', 2, expect.stringMatching(/^entity column 'store_id' holds a value that is no int32 \(join key of entity 'store'\): .*3000000000/)]);
    }
  });
});
