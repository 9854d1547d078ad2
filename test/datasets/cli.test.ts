/** `featureguard dataset build` through the CLI entry point: outputs, --json, exit codes. */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetManifest } from '../../src/offline/manifest-types.js';
import type { Project } from '../../src/project.js';
import { runCli } from '../cli/cli-io.js';
import { makeTinyProject } from './tiny-project.js';

let dir: string;
let project: Project;
beforeAll(async () => {
  ({ dir, project } = await makeTinyProject());
  await project.close(); // the CLI opens its own
  writeFileSync(join(dir, 'entities.csv'), 'user_id,merchant,txn_id,when\n1,acme,100,2024-01-01T01:30:00Z\n1,bolt,101,2024-01-01T02:30:00Z\n2,acme,101,2024-01-01T05:00:00Z\n');
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli(['--project', dir, ...args]);

describe('featureguard dataset build', () => {
  it('writes the dataset and its manifest', async () => {
    const out = join(dir, 'o', 'train.parquet');
    const r = await cli('dataset', 'build', '--entities', join(dir, 'entities.csv'), '--timestamp-column', 'when', '--service', 'fraud_model', '--out', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/wrote 3 rows to .*train\.parquet/);
    expect(existsSync(out) && existsSync(`${out}.manifest.json`)).toBe(true);
  });

  it('takes --features given more than once as all of them (the last one only was kept, silently)', async () => {
    const out = join(dir, 'o', 'repeated.parquet');
    const r = await cli('--json', 'dataset', 'build', '--entities', join(dir, 'entities.csv'), '--timestamp-column', 'when', '--features', 'user_stats:txn_count', '--features', 'merchant_stats:risk', '--out', out);
    expect(r.code, r.err).toBe(0);
    expect((JSON.parse(r.out) as { request: { features: string[] } }).request.features).toEqual(['user_stats:txn_count', 'merchant_stats:risk']);
  });

  it('--json prints the manifest; --test-fraction splits', async () => {
    const out = join(dir, 'o', 'split.arrow');
    const r = await cli('--json', 'dataset', 'build', '--entities', join(dir, 'entities.csv'), '--timestamp-column', 'when', '--features', 'user_stats:txn_count, merchant_stats', '--out', out, '--test-fraction', '0.34');
    expect(r.code).toBe(0);
    const m = JSON.parse(r.out) as DatasetManifest;
    expect(m.outputs.map((o) => [o.part, o.rows])).toEqual([['train', 2], ['test', 1]]);
    expect(m.split_at).toBe('2024-01-01T05:00:00.000000Z');
    expect(JSON.parse(readFileSync(join(dir, 'o', 'split.test.arrow.manifest.json'), 'utf8')).rows).toBe(3);
  });

  it('exit 2 with a message naming the column for a missing timestamp column', async () => {
    const r = await cli('dataset', 'build', '--entities', join(dir, 'entities.csv'), '--features', 'outcome:fraud', '--out', join(dir, 'o', 'x.csv'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no timestamp column 'event_timestamp'.*--timestamp-column/);
  });

  it('refuses an output that is a source file, the entity input or a folder, before building; a rebuild replaces the file whole', async () => {
    const source = join(dir, 'data', 'user_stats.parquet');
    const before = readFileSync(source);
    const entities = join(dir, 'entities.csv');
    const build = (out: string) => cli('dataset', 'build', '--entities', entities, '--timestamp-column', 'when', '--features', 'user_stats:txn_count', '--out', out);
    const overSource = await build(source);
    expect([overSource.code, overSource.err]).toEqual([2, expect.stringContaining("is the file of source 'user_src': writing it would replace the source")]);
    expect(readFileSync(source).equals(before)).toBe(true);
    const overEntities = await cli('dataset', 'build', '--entities', entities, '--timestamp-column', 'when', '--features', 'user_stats:txn_count', '--out', entities, '--format', 'csv');
    expect([overEntities.code, overEntities.err]).toEqual([2, expect.stringContaining('is the entity input itself')]);
    expect((await build(join(dir, 'data'))).err).toMatch(/--out|is a folder|cannot tell the output format/);
    const folder = join(dir, 'o', 'folder.parquet');
    mkdirSync(folder, { recursive: true });
    expect(await build(folder)).toMatchObject({ code: 2, err: expect.stringContaining('is a folder; give a file name') });
    // The manifest's path a folder: refused before building, the dataset not written either.
    mkdirSync(join(dir, 'o', 'm.parquet.manifest.json'), { recursive: true });
    expect(await build(join(dir, 'o', 'm.parquet'))).toMatchObject({ code: 2, err: expect.stringContaining('m.parquet.manifest.json is a folder') });
    expect(existsSync(join(dir, 'o', 'm.parquet'))).toBe(false);
    expect(await build(join(entities, 'x.parquet'))).toMatchObject({ code: 2, err: expect.stringContaining('is a file, not a folder') });
    expect(await build(join(dir, '.featureguard', 'x.parquet'))).toMatchObject({ code: 2, err: expect.stringContaining("featureguard's own state") });
    // Built twice to the same path: replaced through a temp file, none left behind.
    const out = join(dir, 'o2', 'twice.arrow');
    expect((await build(out)).code).toBe(0);
    expect((await build(out)).code).toBe(0);
    expect(readdirSync(join(dir, 'o2')).sort()).toEqual(['twice.arrow', 'twice.arrow.manifest.json']);
  });

  it('exit 2 for usage errors', async () => {
    expect((await cli('dataset', 'build', '--entities', 'a.csv', '--entities-sql', 'SELECT 1', '--features', 'user_stats', '--out', 'x.parquet')).code).toBe(2);
    expect((await cli('dataset', 'build', '--entities', join(dir, 'entities.csv'), '--features', 'user_stats', '--out', join(dir, 'x.txt'))).code).toBe(2);
  });

  it('exit 1 when a blocking check fails, nothing written', async () => {
    const out = join(dir, 'blocked', 'x.parquet');
    const r = await cli('dataset', 'build', '--entities-sql', "SELECT 1 AS user_id, TIMESTAMP '2024-01-01 01:00:00' AS event_timestamp", '--features', 'user_profile:email', '--out', out);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/blocked/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('baseline pin from a dataset build', () => {
  it('pins a view that the build has features of, and refuses one it has none of', async () => {
    const out = join(dir, 'pin', 'users.parquet');
    // 40 rows: a baseline needs drift.min_rows (30) of them.
    const entities = "SELECT 1 + i % 2 AS user_id, TIMESTAMP '2024-01-01 01:30:00' + INTERVAL (i) MINUTE AS event_timestamp FROM range(40) r(i)";
    expect((await cli('dataset', 'build', '--entities-sql', entities, '--features', 'user_stats:txn_count', '--out', out)).code).toBe(0);
    const manifest = `${out}.manifest.json`;
    expect((await cli('baseline', 'pin', '--name', 'users', '--view', 'user_stats', '--from-dataset', manifest)).code).toBe(0);
    const wrong = await cli('--json', 'baseline', 'pin', '--name', 'merchants', '--view', 'merchant_stats', '--from-dataset', manifest);
    expect(wrong.code).toBe(2);
    expect(JSON.parse(wrong.err).error).toMatchObject({ code: 'baseline_wrong_target', message: expect.stringContaining("has no profile of any feature of view 'merchant_stats'") });
    expect(JSON.parse((await cli('--json', 'baseline', 'list')).out).map((b: { name: string }) => b.name)).toEqual(['users']);
  });
});
