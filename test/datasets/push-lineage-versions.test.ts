/**
 * A push's lineage records the definition versions it validated and judged its rows by (those in force when it
 * began), not those in force when its lineage is written: an apply landing while the push waits for the online
 * store's write lock must not be recorded as the definitions the push used.
 */
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPushProject, type PushProject } from './push-project.js';

const defs = (description: string) => `kind: entity
name: user
join_keys: [{name: user_id, type: int64}]
---
kind: source
name: s
path: data/s/*.parquet
timestamp_field: ts
---
kind: feature_view
name: v
description: ${description}
entities: [user]
source: s
online: true
quality: {drift: off, anomaly: off}
features: [{name: n, type: int64}]
`;

let project: PushProject;
beforeAll(async () => {
  project = await openPushProject('push_versions', defs('first'), { parquet: { 's/part-0.parquet': `SELECT 1::BIGINT AS user_id, TIMESTAMP '2026-01-01 00:00:00' AS ts, 1::BIGINT AS n` } });
});

afterAll(async () => {
  await project?.close();
});

describe("a push's lineage", () => {
  it('records the definition versions in force when it validated its rows, not those of an apply landing before its lineage is written', async () => {
    const row = (n: number) => ({ user_id: 2, event_timestamp: '2026-01-02T00:00:00Z', n });
    await project.fs.push({ view: 'v', rows: [row(1)], to: 'online' }); // the online store exists
    const before = project.fs.project.registry.currentVersions().get('feature_view/v');
    expect(before?.version).toBe(1);
    const other = new Database(join(project.dir, '.featureguard', 'online.db')); // another process's materialization
    try {
      other.exec('BEGIN IMMEDIATE');
      const pushing = project.fs.push({ view: 'v', rows: [row(2)], to: 'online' });
      // The push has validated and judged its rows once its run is recorded with guard results; it then waits for the lock.
      const running = () => project.fs.runs.list({ kind: 'push', status: 'running' }).runs[0];
      for (let i = 0; i < 500 && !(running() && project.fs.runs.results(running().id).length > 0); i++) await new Promise((r) => setTimeout(r, 10));
      const run = running();
      expect(run).toBeDefined();
      // A non-breaking change applied meanwhile: a new version of the view.
      writeFileSync(join(project.dir, 'features', 'defs.yaml'), defs('second'));
      await project.fs.apply();
      expect(project.fs.project.registry.currentVersions().get('feature_view/v')?.version).toBe(2);
      other.exec('COMMIT');
      const pushed = await pushing;
      expect(pushed.run_id).toBe(run.id);
      expect(pushed.status).toBe('success');
      expect(project.fs.runs.get(pushed.run_id).lineage?.definition_versions['feature_view/v']).toEqual({ version: 1, hash: before?.hash });
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    }
  });
});
