/**
 * A CLI push interrupted after its file was renamed into the source folder (Ctrl-C while it waits for the online
 * store's write lock, a kill) takes the file back, as a push that fails does: its run is marked failed, and a
 * retry must not find the rows twice in a training set.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInterruptCleanups } from '../../src/state/interrupt.js';
import { openPushProject, type PushProject } from './push-project.js';

let project: PushProject;
beforeAll(async () => {
  project = await openPushProject('push_interrupted', `kind: entity
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
entities: [user]
source: s
online: true
quality: {drift: off, anomaly: off}
features: [{name: n, type: int64}]
`, { parquet: { 's/part-0.parquet': `SELECT 1::BIGINT AS user_id, TIMESTAMP '2026-01-01 00:00:00' AS ts, 1::BIGINT AS n` } });
});

afterAll(async () => {
  await project?.close();
});

describe('an interrupted push', () => {
  it('removes the file it had written to the offline source, and says so', async () => {
    const row = (n: number) => ({ user_id: 2, event_timestamp: '2026-01-02T00:00:00Z', n });
    await project.fs.push({ view: 'v', rows: [row(1)], to: 'online' }); // the online store exists
    const other = new Database(join(project.dir, '.featureguard', 'online.db')); // another process's materialization
    try {
      other.exec('BEGIN IMMEDIATE');
      const pushing = project.fs.push({ view: 'v', rows: [row(2)], to: 'both' }).catch((e: unknown) => e);
      for (let i = 0; i < 500 && project.files('s').length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      const [pushed] = project.files('s').filter((f) => f.startsWith('push-'));
      expect(pushed).toBeDefined();
      const said = runInterruptCleanups('SIGINT');
      expect(said).toContainEqual(`removed ${join(project.dir, 'data', 's', pushed)}, the file the push had written to the offline source`);
      expect(project.files('s')).toEqual(['part-0.parquet']);
      other.exec('COMMIT');
      await pushing;
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    }
  });
});
