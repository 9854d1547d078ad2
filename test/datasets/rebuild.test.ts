/** `featureguard dataset build --from-manifest`: a dataset rebuilt at the definition versions its manifest recorded. */
import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineFeatureView } from '../../src/definitions/define.js';
import { literal, openOfflineEngine } from '../../src/offline/engine.js';
import { openProject } from '../../src/project.js';
import { openFeatureStore } from '../../src/sdk/index.js';
import { runCli } from '../cli/cli-io.js';
import { definitions, makeTinyProject } from './tiny-project.js';

let dir: string;
beforeAll(async () => {
  const made = await makeTinyProject();
  dir = made.dir;
  await made.project.close();
  // user 1 at 01:30 reads user_stats at 01:00 (30 minutes old): inside the 1h ttl, outside a 10m one.
  writeFileSync(join(dir, 'entities.csv'), 'user_id,merchant,txn_id,event_timestamp\n1,acme,100,2024-01-01T01:30:00Z\n1,bolt,101,2024-01-01T02:30:00Z\n2,acme,102,2024-01-01T05:10:00Z\n');
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli(['--project', dir, ...args]);
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** The rows of a Parquet file as JSON text, in file order (an independent reading by DuckDB). */
async function rows(path: string): Promise<string> {
  const engine = await openOfflineEngine();
  return JSON.stringify(await engine.all(`SELECT * FROM read_parquet(${literal(path)})`));
}

async function applyTtl(ttl: string): Promise<void> {
  const project = openProject(dir);
  try {
    project.registry.apply(definitions.map((d) => (d.kind === 'feature_view' && d.name === 'user_stats' ? defineFeatureView({ ...d, ttl }) : d)));
  } finally {
    await project.close();
  }
}

describe('dataset build --from-manifest', () => {
  it('rebuilds the rows at the recorded definition versions after a ttl change; a plain build differs', async () => {
    const first = join(dir, 'train.parquet');
    const manifest = `${first}.manifest.json`;
    expect((await cli('dataset', 'build', '--entities', join(dir, 'entities.csv'), '--service', 'fraud_model', '--out', first)).code).toBe(0);
    await applyTtl('10m');
    expect((await cli('dataset', 'verify', manifest)).out).toMatch(/NOT reproducible[\s\S]*feature_view 'user_stats' changed since the build \(version 1 → 2\)/);

    const plain = join(dir, 'plain.parquet');
    expect((await cli('dataset', 'build', '--entities', join(dir, 'entities.csv'), '--service', 'fraud_model', '--out', plain)).code).toBe(0);
    expect(await rows(plain)).not.toBe(await rows(first));

    const rebuilt = join(dir, 'rebuilt.parquet');
    const r = await cli('dataset', 'build', '--from-manifest', manifest, '--out', rebuilt);
    expect([r.code, r.err]).toEqual([0, '']);
    expect(r.out).toContain(`rebuilt from ${manifest}`);
    expect(await rows(rebuilt)).toBe(await rows(first));
    expect(sha(rebuilt)).toBe(sha(first));

    const m = JSON.parse(readFileSync(`${rebuilt}.manifest.json`, 'utf8'));
    expect(m.rebuilt_from).toMatchObject({ manifest, sha256: sha(manifest), warnings: [] });
    expect(m.definitions['feature_view/user_stats'].version).toBe(1);
    const original = JSON.parse(readFileSync(manifest, 'utf8'));
    expect(m.definitions).toEqual(original.definitions);
    expect(m.sources).toEqual(original.sources);

    // The rebuild's manifest is verified against the versions it was built at, which the registry still holds.
    const v = await cli('dataset', 'verify', `${rebuilt}.manifest.json`);
    expect([v.code, v.out]).toEqual([0, expect.stringMatching(/^reproducible: /)]);
    // The original still differs from the applied definitions (a plain build would give other rows).
    expect((await cli('dataset', 'verify', manifest)).code).toBe(1);
  });

  it('through the SDK: rebuildDataset in memory gives the same rows', async () => {
    const store = await openFeatureStore(dir);
    try {
      const res = await store.rebuildDataset(join(dir, 'train.parquet.manifest.json'));
      expect(res.table?.numRows).toBe(3);
      const bySdk = res.table!.toArray().map((r) => r.toJSON());
      expect(bySdk.map((r) => r.txn_count === null ? null : Number(r.txn_count))).toEqual([10, 21, 50]);
      expect(res.manifest.rebuilt_from?.manifest).toBe(join(dir, 'train.parquet.manifest.json'));
      const rebuild = store.rebuildDataset as (path?: unknown, options?: unknown) => Promise<unknown>;
      await expect(rebuild(null)).rejects.toMatchObject({ name: 'InputError', message: expect.stringMatching(/rebuildDataset takes the path of a dataset's manifest .*got null/) });
      await expect(rebuild('m.json', { strict: 'yes' })).rejects.toMatchObject({ name: 'InputError' });
      await expect(rebuild('m.json', { outt: 'x.parquet' })).rejects.toMatchObject({ name: 'InputError' });
    } finally {
      await store.close();
    }
  });

  it('builds anyway when a source file changed, with a warning and the new fingerprint; --strict refuses', async () => {
    const manifest = join(dir, 'train.parquet.manifest.json');
    const csv = join(dir, 'data', 'merchant_stats.csv');
    const before = readFileSync(csv);
    appendFileSync(csv, 'zeta,2024-01-01T04:00:00Z,0.3\n');
    try {
      const strict = await cli('dataset', 'build', '--from-manifest', manifest, '--out', join(dir, 'strict.parquet'), '--strict');
      expect(strict.code).toBe(2);
      expect(strict.err).toMatch(/file data\/merchant_stats\.csv of source 'merchant_src' changed/);
      expect(() => readFileSync(join(dir, 'strict.parquet'))).toThrow();

      const out = join(dir, 'warned.parquet');
      const r = await cli('dataset', 'build', '--from-manifest', manifest, '--out', out);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/warning: file data\/merchant_stats\.csv of source 'merchant_src' changed/);
      const m = JSON.parse(readFileSync(`${out}.manifest.json`, 'utf8'));
      expect(m.rebuilt_from.warnings).toEqual([expect.stringMatching(/merchant_stats\.csv of source 'merchant_src' changed/)]);
      const merchant = m.sources.find((s: { name: string }) => s.name === 'merchant_src');
      expect(merchant.fingerprint.files[0].sha256).toBe(createHash('sha256').update(readFileSync(csv)).digest('hex'));
      expect((await cli('dataset', 'verify', `${out}.manifest.json`)).code).toBe(0);
    } finally {
      writeFileSync(csv, before);
    }
  });

  it('refuses when the entity file changed since the recorded build', async () => {
    const manifest = join(dir, 'train.parquet.manifest.json');
    const entities = join(dir, 'entities.csv');
    const before = readFileSync(entities);
    appendFileSync(entities, '2,bolt,103,2024-01-01T06:00:00Z\n');
    try {
      const r = await cli('dataset', 'build', '--from-manifest', manifest, '--out', join(dir, 'refused.parquet'));
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/entity file .*entities\.csv changed since the build/);
      expect(() => readFileSync(join(dir, 'refused.parquet'))).toThrow();
    } finally {
      writeFileSync(entities, before);
    }
  });

  it('rebuilds entity rows from SQL with a split into the same parts, and refuses when the query answers otherwise', async () => {
    const sql = `SELECT * FROM read_csv(${literal(join(dir, 'entities.csv'))})`;
    const out = join(dir, 'split.parquet');
    expect((await cli('dataset', 'build', '--entities-sql', sql, '--service', 'fraud_model', '--test-fraction', '0.4', '--out', out)).code).toBe(0);
    const manifest = join(dir, 'split.train.parquet.manifest.json');
    const r = await cli('dataset', 'build', '--from-manifest', manifest);
    expect([r.code, r.err]).toEqual([0, '']);
    for (const part of ['train', 'test']) expect(sha(join(dir, `split.rebuilt.${part}.parquet`))).toBe(sha(join(dir, `split.${part}.parquet`)));
    const m = JSON.parse(readFileSync(join(dir, 'split.rebuilt.train.parquet.manifest.json'), 'utf8'));
    expect(m.definitions).toEqual(JSON.parse(readFileSync(manifest, 'utf8')).definitions);
    expect(m.request).toEqual(JSON.parse(readFileSync(manifest, 'utf8')).request);

    const entities = join(dir, 'entities.csv');
    const before = readFileSync(entities);
    appendFileSync(entities, '2,bolt,103,2024-01-01T06:00:00Z\n');
    try {
      const changed = await cli('dataset', 'build', '--from-manifest', manifest, '--out', join(dir, 'sql-refused.parquet'));
      expect([changed.code, changed.err]).toEqual([2, expect.stringMatching(/the entity rows of sql:SELECT .* changed since the build \(3 rows, checksum \w+ → 4 rows/)]);
      expect(() => readFileSync(join(dir, 'sql-refused.train.parquet'))).toThrow();
    } finally {
      writeFileSync(entities, before);
    }
  });

  it('refuses flags that would change the request, and a manifest of rows built in memory', async () => {
    const manifest = join(dir, 'train.parquet.manifest.json');
    const both = await cli('dataset', 'build', '--from-manifest', manifest, '--service', 'fraud_model', '--out', join(dir, 'x.parquet'));
    expect([both.code, both.err]).toEqual([2, expect.stringMatching(/--from-manifest takes the request from the manifest/)]);
    const memory = JSON.parse(readFileSync(manifest, 'utf8'));
    memory.entities = { ...memory.entities, uri: 'memory:rows/abc', fingerprint: { rows: 3, checksum: 'abc', ordered: true } };
    delete memory.entities.relative_path;
    writeFileSync(join(dir, 'memory.manifest.json'), JSON.stringify(memory));
    const r = await cli('dataset', 'build', '--from-manifest', join(dir, 'memory.manifest.json'), '--out', join(dir, 'y.parquet'));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/entity rows came from memory/)]);
  });
});
