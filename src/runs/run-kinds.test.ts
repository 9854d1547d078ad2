/**
 * Every place that names the run kinds names the same ones, `compact` among them: the list in `types.ts`, the
 * quality log's filter, the UI filter, the metrics' pre-initialised series and the JSON Schema of `GET /v1/runs`;
 * and a compaction's run that its process left (killed, interrupted) fires no alert (no alert selects compactions).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempStateDb } from '../../test/helpers/state-db.js';
import { createMetrics } from '../server/metrics.js';
import { parseRunsQuery } from '../server/ui/runs-page.js';
import { failOrphanedRuns, failUnfinishedRuns, openRunStore } from './run-store.js';
import { RUN_KINDS } from './types.js';

const { db } = tempStateDb('run-kinds');
const repo = join(import.meta.dirname, '..', '..');

describe('run kinds', () => {
  it('are materialize, dataset, push, check and compact everywhere they are listed', async () => {
    expect([...RUN_KINDS]).toEqual(['materialize', 'dataset', 'push', 'check', 'compact']);
    const schema = JSON.parse(readFileSync(join(repo, 'schemas', 'api', 'responses', 'run_list.schema.json'), 'utf8')) as { $defs: { run: { properties: { kind: { enum: string[] } } } } };
    expect(schema.$defs.run.properties.kind.enum).toEqual([...RUN_KINDS]);
    for (const kind of RUN_KINDS) expect(parseRunsQuery({ kind })).toMatchObject({ kind, notices: [] });
    const runs = openRunStore(db);
    const run = runs.create({ kind: 'compact', options: { views: ['v'] } });
    runs.update(run.id, { status: 'success', finished_at: new Date().toISOString() });
    expect(runs.list({ kind: 'compact' }).runs.map((r) => r.id)).toEqual([run.id]);
    const metrics = await createMetrics().registry.metrics();
    for (const kind of RUN_KINDS) expect(metrics).toContain(`featureguard_run_verdicts_total{kind="${kind}",status="success"} 0`);
  });

  it("a compaction's run failed for its process (killed, interrupted) is not made due for alerts; a push's is", () => {
    const runs = openRunStore(db);
    const due = () => (db.prepare('SELECT run_id FROM alerts_due ORDER BY run_id').all() as { run_id: string }[]).map((r) => r.run_id);
    db.exec('DELETE FROM alerts_due');
    const compact = runs.create({ kind: 'compact' });
    const push = runs.create({ kind: 'push', view: 'v' });
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
    db.prepare('UPDATE run_owners SET pid = ? WHERE run_id IN (?, ?)').run(deadPid, compact.id, push.id);
    expect(failOrphanedRuns(db).sort()).toEqual([compact.id, push.id].sort());
    expect(due()).toEqual([push.id]);

    db.exec('DELETE FROM alerts_due');
    const interrupted = runs.create({ kind: 'compact' });
    const pushInterrupted = runs.create({ kind: 'push', view: 'v' });
    expect(failUnfinishedRuns('interrupted (SIGINT) before it finished').sort()).toEqual([interrupted.id, pushInterrupted.id].sort());
    expect(runs.get(interrupted.id).status).toBe('failed');
    expect(due()).toEqual([pushInterrupted.id]);
  });
});
