/**
 * A table source in a `.duckdb` file that another process rewrites is read as it
 * is now by a process that keeps running (a review finding: `serve` attached the
 * file once, read-only, and kept serving the table as it first read it while
 * reporting success; a CLI process at the same moment read the new rows).
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineFeatureView, defineSource } from '../../src/definitions/define.js';
import { getHistoricalFeatures } from '../../src/offline/historical.js';
import type { Project } from '../../src/project.js';
import { definitions, makeTinyProject } from './tiny-project.js';

let dir: string;
let project: Project;
let file: string;

/** SQL run on the database file by another process, as an ETL job would write it. */
function writeFromAnotherProcess(sql: string): void {
  const script = `import { DuckDBInstance } from '@duckdb/node-api';
    const db = await DuckDBInstance.create(${JSON.stringify(file)}); const c = await db.connect();
    await c.run(${JSON.stringify(sql)}); c.closeSync(); db.closeSync();`;
  execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), stdio: 'inherit' });
}

beforeAll(async () => {
  ({ dir, project } = await makeTinyProject());
  file = join(dir, 'data', 'temps.duckdb');
  writeFromAnotherProcess("CREATE TABLE temps AS SELECT 1::BIGINT AS user_id, TIMESTAMP '2024-01-01 00:00:00' AS ts, 1.0::DOUBLE AS temp");
  project.registry.apply([
    ...definitions,
    defineSource({ name: 'temps_src', database: 'data/temps.duckdb', table: 'temps', timestamp_field: 'ts' }),
    defineFeatureView({ name: 'temps', entities: ['user'], source: 'temps_src', features: [{ name: 'temp', type: 'float64' }] }),
  ]);
});
afterAll(async () => {
  await project?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const temps = async () => {
  const res = await getHistoricalFeatures(project, { entities: [{ user_id: 1, event_timestamp: '2024-01-02T00:00:00Z' }, { user_id: 2, event_timestamp: '2024-01-02T00:00:00Z' }], features: ['temps:temp'] });
  return [...res.table!.getChild('temp')!].map((v) => v ?? null);
};

describe('a DuckDB table source rewritten by another process', () => {
  it('is read as it is now by the same long-running process, rows added and rows replaced', async () => {
    expect(await temps()).toEqual([1, null]);
    writeFromAnotherProcess("INSERT INTO temps VALUES (2, TIMESTAMP '2024-01-01 00:00:00', 2.0)");
    expect(await temps()).toEqual([1, 2]);
    writeFromAnotherProcess("CREATE OR REPLACE TABLE temps AS SELECT user_id, ts, temp + 1000 AS temp FROM temps; CHECKPOINT");
    expect(await temps()).toEqual([1001, 1002]);
  });
});
