/** `dataset verify` when a source's path changed: the old file is still there, the source reads another one. */
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineSource } from '../../src/definitions/define.js';
import { verifyDataset } from '../../src/offline/verify-dataset.js';
import { openProject } from '../../src/project.js';
import { runCli } from '../cli/cli-io.js';
import { definitions, makeTinyProject } from './tiny-project.js';

let dir: string;
beforeAll(async () => {
  let project;
  ({ dir, project } = await makeTinyProject());
  await project.close();
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('dataset verify after a source moved to another file', () => {
  it('says the source now reads another file, not that a file still there is gone', async () => {
    const out = join(dir, 'risk.parquet');
    const sql = "SELECT 1::BIGINT AS user_id, TIMESTAMP '2024-01-01 01:30:00' AS event_timestamp";
    expect((await runCli(['--project', dir, 'dataset', 'build', '--entities-sql', sql, '--features', 'user_risk:risk', '--out', out])).code).toBe(0);
    copyFileSync(join(dir, 'data', 'user_risk.parquet'), join(dir, 'data', 'user_risk_v2.parquet'));
    const moved = definitions.map((d) => (d.kind === 'source' && d.name === 'risk_src' ? defineSource({ ...d, path: 'data/user_risk_v2.parquet' }) : d));
    const project = openProject(dir);
    try {
      project.registry.apply(moved);
      const v = await verifyDataset(project, `${out}.manifest.json`);
      const sources = v.differences.filter((d) => d.what === 'source').map((d) => d.message);
      expect(sources).toEqual(["source 'risk_src' now reads data/user_risk_v2.parquet instead of data/user_risk.parquet (which is still there)"]);
      // Once the old file is really gone, it is said so.
      rmSync(join(dir, 'data', 'user_risk.parquet'));
      const gone = (await verifyDataset(project, `${out}.manifest.json`)).differences.filter((d) => d.what === 'source').map((d) => d.message);
      expect(gone).toEqual([
        "file data/user_risk.parquet of source 'risk_src' is gone",
        "file data/user_risk_v2.parquet was added to source 'risk_src'",
      ]);
    } finally {
      await project.close();
    }
  });
});
