/** `featureguard dataset verify`: a manifest against the project as it is now. */
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineFeatureView, defineSource } from '../../src/definitions/define.js';
import { literal, openOfflineEngine } from '../../src/offline/engine.js';
import { getHistoricalFeatures } from '../../src/offline/historical.js';
import { attachAlias } from '../../src/offline/source-sql.js';
import { verifyDataset } from '../../src/offline/verify-dataset.js';
import { openProject, type Project } from '../../src/project.js';
import { runCli } from '../cli/cli-io.js';
import { definitions, makeTinyProject } from './tiny-project.js';

let dir: string;
let project: Project;
beforeAll(async () => {
  ({ dir, project } = await makeTinyProject());
  await project.close();
  writeFileSync(join(dir, 'entities.csv'), 'user_id,merchant,txn_id,event_timestamp\n1,acme,100,2024-01-01T01:30:00Z\n1,bolt,101,2024-01-01T02:30:00Z\n');
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli(['--project', dir, ...args]);

describe('featureguard dataset verify', () => {
  it('says reproducible until a source, the entity file, a definition or an output changes, and names what did', async () => {
    const out = join(dir, 'train.parquet');
    const manifest = `${out}.manifest.json`;
    expect((await cli('dataset', 'build', '--entities', join(dir, 'entities.csv'), '--service', 'fraud_model', '--out', out)).code).toBe(0);
    const ok = await cli('dataset', 'verify', manifest);
    expect([ok.code, ok.out]).toEqual([0, expect.stringMatching(/^reproducible: the definitions, sources and entity rows of run /)]);

    // A source file edited, then put back byte for byte (its modification time differs: the content decides).
    const csv = join(dir, 'data', 'merchant_stats.csv');
    const original = readFileSync(csv);
    appendFileSync(csv, 'acme,2024-01-01T04:00:00Z,0.3\n');
    const edited = await cli('--json', 'dataset', 'verify', manifest);
    expect(edited.code).toBe(1);
    expect(JSON.parse(edited.out)).toMatchObject({ reproducible: false, differences: [{ what: 'source', name: 'merchant_src', message: expect.stringMatching(/^file data\/merchant_stats\.csv of source 'merchant_src' changed \(\d+ → \d+ bytes\)$/) }] });
    writeFileSync(csv, original);
    expect((await cli('dataset', 'verify', manifest)).code).toBe(0);

    // The entity file and the output.
    const entities = readFileSync(join(dir, 'entities.csv'));
    appendFileSync(join(dir, 'entities.csv'), '2,acme,102,2024-01-01T05:00:00Z\n');
    rmSync(out);
    project = openProject(dir);
    try {
      const v = await verifyDataset(project, manifest);
      expect(v.differences.map((d) => [d.what, d.message])).toEqual([
        ['entities', expect.stringMatching(/^entity file .*entities\.csv changed \(\d+ → \d+ bytes\)$/)],
        ['output', `output ${out} is gone`],
      ]);
      writeFileSync(join(dir, 'entities.csv'), entities);

      // A description, owner or quality policy changed since: a note, the rows would be the same.
      const described = definitions.map((d) => (d.kind === 'feature_view' && d.name === 'user_stats' ? defineFeatureView({ ...d, description: 'per user', quality: { drift: { psi_fail: 0.4 } } }) : d));
      project.registry.apply(described);
      const same = await verifyDataset(project, manifest);
      // (The output removed above is the one difference left.)
      expect(same.differences.map((d) => d.what)).toEqual(['output']);
      expect(same.notes).toContain("feature_view 'user_stats' changed since the build (version 1 → 2), not in what decides the rows");
      // A manifest whose version 1 was another definition (built against a state folder made anew since): that
      // version here is no evidence of what the build used, so the change counts.
      const foreign = JSON.parse(readFileSync(manifest, 'utf8'));
      foreign.definitions['feature_view/user_stats'].hash = 'f'.repeat(64);
      writeFileSync(join(dir, 'foreign.manifest.json'), JSON.stringify(foreign));
      expect((await verifyDataset(project, join(dir, 'foreign.manifest.json'))).differences).toContainEqual(expect.objectContaining({ what: 'definition', name: 'feature_view/user_stats' }));

      // A definition applied since that changes the rows (a ttl): its version and what the request still resolves to.
      const next = definitions.map((d) => (d.kind === 'feature_view' && d.name === 'user_stats' ? defineFeatureView({ ...d, ttl: '2h' }) : d));
      project.registry.apply(next);
      const changed = await verifyDataset(project, manifest);
      expect(changed.differences).toContainEqual({ what: 'definition', name: 'feature_view/user_stats', message: "feature_view 'user_stats' changed since the build (version 1 → 3)" });
      expect(changed.reproducible).toBe(false);
    } finally {
      await project.close();
    }
  });

  it('notes entity rows it cannot re-read, and refuses a file that is no manifest (exit 2)', async () => {
    const out = join(dir, 'sql.parquet');
    const sql = "SELECT 1::BIGINT AS user_id, TIMESTAMP '2024-01-01 01:30:00' AS event_timestamp";
    expect((await cli('dataset', 'build', '--entities-sql', sql, '--features', 'user_risk:risk', '--out', out)).code).toBe(0);
    const v = JSON.parse((await cli('--json', 'dataset', 'verify', `${out}.manifest.json`)).out) as { reproducible: boolean; notes: string[] };
    expect(v.reproducible).toBe(true);
    expect(v.notes).toEqual([expect.stringMatching(/^entity rows came from a SQL query: /)]);
    const bad = await cli('dataset', 'verify', join(dir, 'entities.csv'));
    expect([bad.code, bad.err]).toEqual([2, expect.stringContaining('is not a dataset manifest (not JSON)')]);
    writeFileSync(join(dir, 'other.json'), '{"kind": "something"}');
    expect((await cli('dataset', 'verify', join(dir, 'other.json'))).err).toContain('is not a featureguard dataset manifest');
  });

  it('sees a change in any column a view reads of a table source read by several views', async () => {
    const db = join(dir, 'data', 'stats.duckdb');
    const engine = await openOfflineEngine();
    // The engine keeps the source attached read-only: detached first, it attaches it again when it next reads it.
    const sql = (stmts: string) => engine.run(`DETACH DATABASE IF EXISTS ${attachAlias(db)}; ATTACH ${literal(db)} AS verify_stats; ${stmts}; DETACH verify_stats`);
    await sql("CREATE TABLE verify_stats.stats AS SELECT 1::BIGINT AS user_id, TIMESTAMP '2024-01-01 00:00:00' AS ts, 1.0::DOUBLE AS a, 10.0::DOUBLE AS b");
    project = openProject(dir);
    try {
      project.registry.apply([
        ...definitions,
        defineSource({ name: 'stats_src', database: 'data/stats.duckdb', table: 'stats', timestamp_field: 'ts' }),
        defineFeatureView({ name: 'stat_a', entities: ['user'], source: 'stats_src', features: [{ name: 'a', type: 'float64' }] }),
        defineFeatureView({ name: 'stat_b', entities: ['user'], source: 'stats_src', features: [{ name: 'b', type: 'float64' }] }),
      ]);
      const out = join(dir, 'table.parquet');
      await getHistoricalFeatures(project, { entities: [{ user_id: 1, event_timestamp: '2024-01-02T00:00:00Z' }], features: ['stat_a:a', 'stat_b:b'], out });
      expect((await verifyDataset(project, `${out}.manifest.json`)).reproducible).toBe(true);
      // A manifest written before: the first view's checksum alone, which still verifies.
      const manifest = JSON.parse(readFileSync(`${out}.manifest.json`, 'utf8'));
      const source = manifest.sources.find((x: { name: string }) => x.name === 'stats_src');
      source.fingerprint = { rows: source.fingerprint.rows, checksum: source.fingerprint.views.stat_a, database: source.fingerprint.database };
      writeFileSync(join(dir, 'old.manifest.json'), JSON.stringify(manifest));
      expect((await verifyDataset(project, join(dir, 'old.manifest.json'))).reproducible).toBe(true);
      // Only the second view's column changes (the fingerprint was the first view's rows alone).
      await sql('UPDATE verify_stats.stats SET b = 99');
      const v = await verifyDataset(project, `${out}.manifest.json`);
      expect([v.reproducible, v.differences.map((d) => d.message)]).toEqual([false, [expect.stringMatching(/^source 'stats_src' holds other rows/)]]);
    } finally {
      await project.close();
    }
  });
});
