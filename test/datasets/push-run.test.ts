/**
 * What a push run leaves: a CLI push interrupted after its file was renamed into the source folder (Ctrl-C while
 * it waits for the online store's write lock, a kill) takes the file back, as a push that fails does (its run is
 * marked failed, and a retry must not find the rows twice in a training set); a finished push's run record says
 * where its rows went.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInterruptCleanups } from '../../src/state/interrupt.js';
import { toOpenLineageRunEvent } from '../../src/runs/lineage.js';
import { formatRunShow } from '../../src/cli/commands/quality-format.js';
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
      // Until the file is renamed into place (before that it is a temp file under another name).
      const pushedFiles = () => project.files('s').filter((f) => f.startsWith('push-'));
      for (let i = 0; i < 500 && pushedFiles().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      const [pushed] = pushedFiles();
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

describe("a push's run record", () => {
  it('says where its rows went: rows_out the rows written online, written/skipped and the file in its options', async () => {
    // Older than the stored row of user 1: skipped online, appended offline.
    const r = await project.fs.push({ view: 'v', rows: [{ user_id: 1, event_timestamp: '2025-12-01T00:00:00Z', n: 5 }, { user_id: 5, event_timestamp: '2026-01-01T00:00:00Z', n: 5 }], to: 'both' });
    await project.fs.push({ view: 'v', rows: [{ user_id: 1, event_timestamp: '2026-02-01T00:00:00Z', n: 6 }], to: 'online' });
    const older = await project.fs.push({ view: 'v', rows: [{ user_id: 1, event_timestamp: '2026-01-15T00:00:00Z', n: 7 }], to: 'both' });
    expect(older).toMatchObject({ written: 0, skipped: 1 });
    expect(project.fs.runs.get(older.run_id)).toMatchObject({ rows_in: 1, rows_out: 0, options: { to: 'both', rows: 1, written: 0, skipped: 1, file: older.file } });
    expect(project.fs.runs.get(r.run_id)).toMatchObject({ rows_in: 2, rows_out: 2, options: { written: 2, skipped: 0, file: r.file } });
    // Lineage names both outputs of a push to both: the online store (rows written) and the file (rows appended).
    // The source the rows were appended to, named as a materialization reading it names it (the file is in options).
    const source = `file://${join(project.dir, 'data', 's', '*.parquet')}`;
    expect(project.fs.runs.get(older.run_id).lineage).toMatchObject({ output: { kind: 'online_store' }, other_outputs: [{ kind: 'file', uri: source, rows: 1 }] });
    const event = toOpenLineageRunEvent(project.fs.runs.get(older.run_id), project.fs.runs.results(older.run_id), { namespace: 'p' });
    expect(event.outputs.map((o) => [o.namespace === 'file' ? 'file' : 'online', (o.outputFacets?.outputStatistics as { rowCount?: number } | undefined)?.rowCount])).toEqual([['online', 0], ['file', 1]]);
    const offline = await project.fs.push({ view: 'v', rows: [{ user_id: 1, event_timestamp: '2026-01-16T00:00:00Z', n: 8 }], to: 'offline' });
    expect(project.fs.runs.get(offline.run_id)).toMatchObject({ rows_out: 1, options: { to: 'offline', file: offline.file }, lineage: { output: { kind: 'file', uri: source } } });
    // runs show prints the file itself beside the source the lineage names (it printed only the source).
    const shown = formatRunShow(project.fs.runs.get(offline.run_id), [], [], [], false);
    expect(shown).toContain(`  output file ${source}\n  appended file ${offline.file}`);
  });
});
