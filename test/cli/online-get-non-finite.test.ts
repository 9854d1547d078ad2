/**
 * `online get --json` prints the text POST /v1/online-features answers, as its help says: a float holding NaN or
 * ±Infinity was printed as null with status PRESENT (JSON.stringify of the SDK's numbers), where HTTP serves
 * "NaN" (also inside a float list). The table shows them as NaN, Infinity, -Infinity. (A review of CLI and HTTP
 * parity.)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineEntity, defineFeatureView, defineSource } from '../../src/definitions/define.js';
import { openOfflineEngine } from '../../src/offline/engine.js';
import { openProject, type Project } from '../../src/project.js';
import { createApp } from '../../src/server/app.js';
import { push } from '../../src/serving/push.js';
import { post } from '../server/fixture.js';
import { runCli } from './cli-io.js';

let dir: string;
let project: Project;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fg-online-get-nan-'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'featureguard.yaml'), 'project: online_get_nan\n');
  await (await openOfflineEngine()).run(`COPY (SELECT 'a' AS item_id, TIMESTAMP '2024-01-01 10:00' AS ts, 1.5::DOUBLE AS f, [1.0]::FLOAT[] AS emb, 2::BIGINT AS big)
    TO '${join(dir, 'data', 'items.parquet')}' (FORMAT parquet)`);
  project = openProject(dir);
  project.registry.apply([
    defineEntity({ name: 'item', join_keys: [{ name: 'item_id', type: 'string' }] }),
    defineSource({ name: 'items', path: 'data/items.parquet', timestamp_field: 'ts' }),
    defineFeatureView({
      name: 'iv', entities: ['item'], source: 'items', ttl: '0', online: true,
      features: [{ name: 'f', type: 'float64', allow_nan: true }, { name: 'emb', type: 'float32[]', allow_nan: true }, { name: 'big', type: 'int64' }],
    }),
  ]);
  const ts = new Date().toISOString();
  const rows = [
    { item_id: 'n', ts, f: Number.NaN, emb: [Number.NaN, 2], big: 1 },
    { item_id: 'p', ts, f: Infinity, emb: [-Infinity, 0.5], big: 2 },
    { item_id: 'm', ts, f: -Infinity, emb: [1], big: 3 },
  ];
  expect((await push(project, { view: 'iv', rows })).status).toBe('success');
});
afterAll(async () => {
  await project?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('online get of non-finite floats', () => {
  it('--json prints the text of POST /v1/online-features ("NaN", also inside a float list)', async () => {
    const cli = await runCli(['--project', dir, '--json', 'online', 'get', '--features', 'iv:f,iv:emb,iv:big', '--entity', 'item_id=n,p,m']);
    expect(cli.code, cli.err).toBe(0);
    const [, f, emb] = (JSON.parse(cli.out) as { results: { values: unknown[]; statuses: string[] }[] }).results;
    expect(f).toMatchObject({ values: ['NaN', 'Infinity', '-Infinity'], statuses: ['PRESENT', 'PRESENT', 'PRESENT'] });
    expect(emb.values).toEqual([['NaN', 2], ['-Infinity', 0.5], [1]]);
    const http = await createApp(project, { ui: false }).request('/v1/online-features', post({ features: ['iv:f', 'iv:emb', 'iv:big'], entities: { item_id: ['n', 'p', 'm'] } }));
    expect(http.status).toBe(200);
    expect(cli.out).toBe(await http.text());
    // One entity row (the response's single-row path): the same.
    const one = await runCli(['--project', dir, '--json', 'online', 'get', '--features', 'iv:f', '--entity', 'item_id=n']);
    expect(JSON.parse(one.out).results[1].values).toEqual(['NaN']);
  });

  it('shows them as NaN, Infinity and -Infinity in the table, not null', async () => {
    const table = await runCli(['--project', dir, 'online', 'get', '--features', 'iv:f,iv:emb', '--entity', 'item_id=n,p,m']);
    expect(table.code, table.err).toBe(0);
    const lines = table.out.split('\n').map((l) => l.trim().split(/\s{2,}/));
    expect(lines).toEqual([['ITEM_ID', 'F', 'EMB'], ['n', 'NaN', '[NaN,2]'], ['p', 'Infinity', '[-Infinity,0.5]'], ['m', '-Infinity', '[1]']]);
  });
});
