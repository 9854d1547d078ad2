/** `dataset verify` and the outputs: their content (an outputs review finding). */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
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
});
