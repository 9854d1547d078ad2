/** `dataset verify` against what the build recorded: the definitions it used, its sources and files as it hashed them. */
import { appendFileSync, cpSync, mkdtempSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defineFeatureView, defineSource } from '../../src/definitions/define.js';
import { literal, openOfflineEngine } from '../../src/offline/engine.js';
import { getHistoricalFeatures } from '../../src/offline/historical.js';
import { readManifest } from '../../src/offline/manifest.js';
import { verifyDataset } from '../../src/offline/verify-dataset.js';
import { openProject, type Project } from '../../src/project.js';
import { viewLineage } from '../../src/runs/lineage-record.js';
import { definitions, makeTinyProject } from './tiny-project.js';

let dir: string | undefined;
let project: Project | undefined;
afterEach(async () => {
  await project?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = project = undefined;
});

/** The project opened again with `quality.provenance.full_hash_max_bytes: limit`. */
async function withHashLimit(at: string, limit: number): Promise<Project> {
  await project?.close();
  writeFileSync(join(at, 'featureguard.yaml'), `project: tiny\nquality:\n  provenance: {full_hash_max_bytes: ${limit}}\n`);
  return (project = openProject(at));
}

async function tiny(): Promise<{ dir: string; project: Project }> {
  const made = await makeTinyProject();
  ({ dir, project } = made);
  writeFileSync(join(made.dir, 'entities.csv'), 'user_id,merchant,txn_id,event_timestamp\n1,acme,100,2024-01-01T01:30:00Z\n1,bolt,101,2024-01-01T02:30:00Z\n');
  return made;
}

describe('dataset verify against what the build recorded', () => {
  it('records the definition versions the build read, not one applied while it ran', async () => {
    const { dir, project } = await tiny();
    const out = join(dir, 'train.parquet');
    const ttl = definitions.map((d) => (d.kind === 'feature_view' && d.name === 'user_stats' ? defineFeatureView({ ...d, ttl: '2h' }) : d));
    // The apply lands once the build has read the definitions and joined with them.
    await getHistoricalFeatures(project, {
      entities: join(dir, 'entities.csv'), service: 'fraud_model', out,
      onProgress: (e) => void (e.phase === 'guards' && project.registry.apply(ttl)),
    });
    const m = readManifest(`${out}.manifest.json`);
    expect(m.definitions['feature_view/user_stats'].version).toBe(1);
    expect(project.registry.currentVersions().get('feature_view/user_stats')?.version).toBe(2);
    expect(project.runs.get(m.run_id).lineage?.definition_versions['feature_view/user_stats'].version).toBe(1);
    const v = await verifyDataset(project, `${out}.manifest.json`);
    expect([v.reproducible, v.differences]).toEqual([false, [{ what: 'definition', name: 'feature_view/user_stats', message: "feature_view 'user_stats' changed since the build (version 1 → 2)" }]]);
  });

  it('takes a ttl by its length: the same ttl in another unit is no new version and no difference', async () => {
    const { dir, project } = await tiny();
    const out = join(dir, 'train.parquet');
    await getHistoricalFeatures(project, { entities: join(dir, 'entities.csv'), service: 'fraud_model', out });
    const withView = (change: object) => definitions.map((d) => (d.kind === 'feature_view' && d.name === 'user_stats' ? defineFeatureView({ ...d, ...change }) : d));
    // 1h written as 60m or 3600s: nothing to apply.
    for (const ttl of ['60m', '3600s']) expect(project.registry.plan(withView({ ttl })).hasChanges, ttl).toBe(false);
    expect(project.registry.apply(withView({ ttl: '60m' })).applied).toEqual([]);
    expect((await verifyDataset(project, `${out}.manifest.json`)).reproducible).toBe(true);
    // A version that respells it along with a change that decides no rows (or one applied before ttls were compared by length).
    expect(project.registry.apply(withView({ ttl: '60m', description: 'hourly' })).applied).toHaveLength(1);
    const v = await verifyDataset(project, `${out}.manifest.json`);
    expect([v.reproducible, v.notes]).toEqual([true, ["feature_view 'user_stats' changed since the build (version 1 → 2), not in what decides the rows"]]);
    // Another length is another ttl.
    expect(project.registry.plan(withView({ ttl: '61m', description: 'hourly' })).hasChanges).toBe(true);
  });

  it('a view run (materialize, check) records the versions of the definitions it read too', async () => {
    const { dir, project } = await tiny();
    const set = project.registry.current();
    project.registry.apply(definitions.map((d) => (d.kind === 'feature_view' && d.name === 'user_stats' ? defineFeatureView({ ...d, ttl: '2h' }) : d)));
    const conn = await (await project.engine()).connect();
    try {
      const lineage = await viewLineage(project, set, set.views.get('user_stats')!, conn, `SELECT * FROM read_parquet('${join(dir, 'data', 'user_stats.parquet')}')`, { job: 'check:user_stats', output: null });
      expect(lineage.definition_versions).toEqual({
        'entity/user': { version: 1, hash: expect.any(String) },
        'feature_view/user_stats': { version: 1, hash: project.registry.versions('feature_view', 'user_stats')[0].hash },
        'source/user_src': { version: 1, hash: expect.any(String) },
      });
    } finally {
      conn.closeSync();
    }
  });

  it('hashes each file again the way the build did, whatever full_hash_max_bytes says now', async () => {
    const { dir } = await tiny();
    const whole = join(dir, 'whole.parquet');
    const partial = join(dir, 'partial.parquet');
    await getHistoricalFeatures(project!, { entities: join(dir, 'entities.csv'), service: 'fraud_model', out: whole });
    // A limit below every file's size: this build hashes them partially, the one before whole.
    let p = await withHashLimit(dir, 10);
    await getHistoricalFeatures(p, { entities: join(dir, 'entities.csv'), service: 'fraud_model', out: partial });
    expect(readManifest(`${partial}.manifest.json`).sources.flatMap((s) => (s.fingerprint as { files: { partial: boolean }[] }).files.map((f) => f.partial))).not.toContain(false);
    expect((await verifyDataset(p, `${whole}.manifest.json`)).differences).toEqual([]);
    p = await withHashLimit(dir, 1e9);
    expect((await verifyDataset(p, `${partial}.manifest.json`)).differences).toEqual([]);

    // A file hashed partially and only touched: the source and the entity file say so alike.
    const later = new Date(Date.now() + 5_000);
    for (const f of [join(dir, 'entities.csv'), join(dir, 'data', 'merchant_stats.csv')]) utimesSync(f, later, later);
    const v = await verifyDataset(p, `${partial}.manifest.json`);
    expect(v.differences.map((d) => d.message)).toEqual([
      "file data/merchant_stats.csv of source 'merchant_src' changed (size, modification time or first/last MiB)",
      `entity file ${join(dir, 'entities.csv')} changed (size, modification time or first/last MiB)`,
    ]);
  });

  it('reports a source it cannot read on its own, and still compares the others', async () => {
    const { dir, project: p } = await tiny();
    const db = join(dir, 'data', 'stats.duckdb');
    const engine = await openOfflineEngine();
    await engine.run(`ATTACH ${literal(db)} AS unreadable_stats; CREATE TABLE unreadable_stats.stats AS SELECT 1::BIGINT AS user_id, TIMESTAMP '2024-01-01 00:00:00' AS ts, 1.0::DOUBLE AS a; DETACH unreadable_stats`);
    p.registry.apply([
      ...definitions,
      defineSource({ name: 'stats_src', database: 'data/stats.duckdb', table: 'stats', timestamp_field: 'ts' }),
      defineFeatureView({ name: 'stat_a', entities: ['user'], source: 'stats_src', features: [{ name: 'a', type: 'float64' }] }),
    ]);
    const out = join(dir, 'stats.parquet');
    await getHistoricalFeatures(p, { entities: join(dir, 'entities.csv'), features: ['stat_a:a', 'merchant_stats:risk'], out });
    appendFileSync(join(dir, 'data', 'merchant_stats.csv'), 'acme,2024-01-01T04:00:00Z,0.3\n');
    renameSync(db, join(dir, 'stats.duckdb.away'));
    // Opened anew: the engine that built keeps the database it read attached.
    await p.close();
    project = openProject(dir);
    const v = await verifyDataset(project, `${out}.manifest.json`);
    expect(v.differences.map((d) => [d.what, d.name, d.message])).toEqual([
      ['source', 'stats_src', expect.stringMatching(/^source 'stats_src' cannot be read: .*data\/stats\.duckdb/)],
      ['source', 'merchant_src', expect.stringMatching(/^file data\/merchant_stats\.csv of source 'merchant_src' changed \(\d+ → \d+ bytes\)$/)],
    ]);
  });

  it('verifies a moved or copied project against its own entity file and outputs', async () => {
    const { dir, project: p } = await tiny();
    const out = join(dir, 'out', 'train.parquet');
    await getHistoricalFeatures(p, { entities: join(dir, 'entities.csv'), service: 'fraud_model', out });
    await p.close();
    project = undefined;
    const elsewhere = mkdtempSync(join(tmpdir(), 'fg-moved-'));
    try {
      // A copy whose entity file differs: its own file is compared, not the original's.
      const copy = join(elsewhere, 'copy');
      cpSync(dir, copy, { recursive: true });
      appendFileSync(join(copy, 'entities.csv'), '2,acme,102,2024-01-01T05:00:00Z\n');
      project = openProject(copy);
      const copied = await verifyDataset(project, join(copy, 'out', 'train.parquet.manifest.json'));
      expect(copied.differences.map((d) => d.message)).toEqual([expect.stringMatching(new RegExp(`^entity file ${join(copy, 'entities.csv')} changed \\(\\d+ → \\d+ bytes\\)$`))]);
      await project.close();

      // The project moved (another CI checkout path), nothing changed.
      const moved = join(elsewhere, 'moved');
      renameSync(dir, moved);
      project = openProject(moved);
      const manifest = join(moved, 'out', 'train.parquet.manifest.json');
      expect((await verifyDataset(project, manifest)).differences).toEqual([]);
      // A manifest written before relative paths were: the recorded absolute paths, gone now.
      const old = JSON.parse(readFileSync(manifest, 'utf8'));
      delete old.entities.relative_path;
      for (const o of old.outputs) delete o.relative_path;
      writeFileSync(join(moved, 'old.manifest.json'), JSON.stringify(old));
      expect((await verifyDataset(project, join(moved, 'old.manifest.json'))).differences.map((d) => d.what)).toEqual(['entities', 'output']);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
