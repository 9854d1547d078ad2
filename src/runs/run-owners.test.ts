import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { tempStateDb } from '../../test/helpers/state-db.js';
import { failOrphanedRuns, openRunStore } from './run-store.js';

const { db } = tempStateDb('run-owners');

describe('failOrphanedRuns', () => {
  it("fails the running runs of this host's dead processes, and only those", () => {
    const runs = openRunStore(db);
    const dead = runs.create({ kind: 'dataset', service: 's' });
    const mine = runs.create({ kind: 'push', view: 'v' });
    const elsewhere = runs.create({ kind: 'check', view: 'v' });
    const finished = runs.update(runs.create({ kind: 'dataset', service: 's' }).id, { status: 'success', finished_at: new Date().toISOString() });
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
    db.prepare('UPDATE run_owners SET pid = ? WHERE run_id = ?').run(deadPid, dead.id);
    // Another host (or pid namespace): its pid means nothing here.
    db.prepare('UPDATE run_owners SET pid = ?, host = ? WHERE run_id = ?').run(deadPid, `${hostname()}-other/pid:1`, elsewhere.id);
    expect(failOrphanedRuns(db)).toEqual([dead.id]);
    expect(runs.get(dead.id)).toMatchObject({ status: 'failed', message: expect.stringMatching(new RegExp(`^the process that ran it \\(pid ${deadPid} on .*\\) stopped before it finished$`)) });
    expect([runs.get(mine.id).status, runs.get(elsewhere.id).status, runs.get(finished.id).status]).toEqual(['running', 'running', 'success']);
    expect(failOrphanedRuns(db)).toEqual([]);
  });
});
