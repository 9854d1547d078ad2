/** `featureguard dataset build` through the CLI entry point: outputs, --json, exit codes. */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetManifest } from '../../src/offline/manifest.js';
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
