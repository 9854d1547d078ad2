/** `dataset verify` and the outputs: their content, and a copied project's own files (an outputs review finding). */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getHistoricalFeatures } from '../../src/offline/historical.js';
import { readManifest } from '../../src/offline/manifest.js';
import { verifyDataset } from '../../src/offline/verify-dataset.js';
import { openProject, type Project } from '../../src/project.js';
import { makeTinyProject } from './tiny-project.js';

let dir: string | undefined;
let project: Project | undefined;
afterEach(async () => {
  await project?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = project = undefined;
});

async function tiny(): Promise<{ dir: string; project: Project }> {
  const made = await makeTinyProject();
  ({ dir, project } = made);
  writeFileSync(join(made.dir, 'entities.csv'), 'user_id,merchant,txn_id,event_timestamp\n1,acme,100,2024-01-01T01:30:00Z\n1,bolt,101,2024-01-01T02:30:00Z\n');
  return made;
}

describe('dataset verify and the outputs', () => {
  it('sees an output whose content changed at the same size (the fingerprint recorded as it was written)', async () => {
    const { dir, project: p } = await tiny();
    const out = join(dir, 'train.csv');
    await getHistoricalFeatures(p, { entities: join(dir, 'entities.csv'), service: 'fraud_model', out });
    const written = readManifest(`${out}.manifest.json`).outputs[0];
    expect(written).toMatchObject({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), partial: false });
    expect((await verifyDataset(p, `${out}.manifest.json`)).differences).toEqual([]);

    const text = readFileSync(out, 'utf8');
    writeFileSync(out, text.replace('acme', 'acmf'));
    expect(readFileSync(out).length).toBe(written.bytes);
    const v = await verifyDataset(p, `${out}.manifest.json`);
    expect([v.reproducible, v.differences]).toEqual([false, [{ what: 'output', name: out, message: `output ${out} changed (content)` }]]);

    // Put back byte for byte: the content decides, not the modification time.
    writeFileSync(out, text);
    expect((await verifyDataset(p, `${out}.manifest.json`)).reproducible).toBe(true);

    // A manifest from before outputs were fingerprinted: the size alone, as then.
    const old = JSON.parse(readFileSync(`${out}.manifest.json`, 'utf8'));
    for (const o of old.outputs) delete o.sha256, delete o.partial;
    writeFileSync(`${out}.manifest.json`, JSON.stringify(old));
    writeFileSync(out, text.replace('acme', 'acmf'));
    expect((await verifyDataset(p, `${out}.manifest.json`)).differences).toEqual([]);
  });

  it('hashes a large output partially, as the sources are (provenance.full_hash_max_bytes)', async () => {
    const { dir } = await tiny();
    await project!.close();
    writeFileSync(join(dir, 'featureguard.yaml'), 'project: tiny\nquality:\n  provenance: {full_hash_max_bytes: 10}\n');
    const p = (project = openProject(dir));
    const out = join(dir, 'train.parquet');
    await getHistoricalFeatures(p, { entities: join(dir, 'entities.csv'), service: 'fraud_model', out });
    expect(readManifest(`${out}.manifest.json`).outputs[0]).toMatchObject({ partial: true });
    expect((await verifyDataset(p, `${out}.manifest.json`)).differences).toEqual([]);
  });

  it('in a copied project, reports its missing output and entity file gone rather than checking the original ones', async () => {
    const { dir, project: p } = await tiny();
    const out = join(dir, 'out', 'train.parquet');
    await getHistoricalFeatures(p, { entities: join(dir, 'entities.csv'), service: 'fraud_model', out });
    const elsewhere = mkdtempSync(join(tmpdir(), 'fg-copied-'));
    try {
      const copy = join(elsewhere, 'copy');
      cpSync(dir, copy, { recursive: true });
      rmSync(join(copy, 'out', 'train.parquet'));
      rmSync(join(copy, 'entities.csv'));
      await p.close();
      project = openProject(copy);
      const v = await verifyDataset(project, join(copy, 'out', 'train.parquet.manifest.json'));
      expect(v.differences.map((d) => [d.what, d.message])).toEqual([
        ['entities', `entity file ${join(copy, 'entities.csv')} is gone (the original at ${join(dir, 'entities.csv')} is still there)`],
        ['output', `output ${join(copy, 'out', 'train.parquet')} is gone (the original at ${out} is still there)`],
      ]);
      // The manifest where the build wrote it still finds its files.
      await project.close();
      project = openProject(dir);
      expect((await verifyDataset(project, `${out}.manifest.json`)).differences).toEqual([]);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
