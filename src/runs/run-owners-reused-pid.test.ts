import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { tempStateDb } from '../../test/helpers/state-db.js';
import { processBootHost, processHost } from '../state/process-host.js';
import { failOrphanedRuns, openRunStore, ORPHAN_AFTER_MS } from './run-store.js';

// A killed run's pid may belong to another, live, process later: pid wrap-around on a busy host, or a reboot (the
// initial pid namespace has the same id on every boot). Its owner row is faked here with a live process's pid.
const { db } = tempStateDb('run-owners-reused-pid');
const sleeper = spawn('sleep', ['120'], { stdio: 'ignore' });
afterAll(() => {
  sleeper.kill();
});

describe('failOrphanedRuns with a reused pid', () => {
  const runs = openRunStore(db);
  const own = (id: string, pid: number, host: string, beatAt: number | null) =>
    db.prepare('UPDATE run_owners SET pid = ?, host = ?, beat_at = ? WHERE run_id = ?').run(pid, host, beatAt, id);
  const owner = (id: string) => db.prepare('SELECT pid, host FROM run_owners WHERE run_id = ?').get(id) as { pid: number; host: string } | undefined;

  it('records the boot of the machine with the owner', () => {
    const run = runs.create({ kind: 'dataset', service: 's' });
    expect(processBootHost()).toMatch(/\/boot:[0-9a-f-]{36}$/);
    expect(owner(run.id)).toEqual({ pid: process.pid, host: processBootHost() });
    runs.update(run.id, { status: 'success', finished_at: new Date().toISOString() });
  });

  it("fails a run of an earlier boot (another boot id) by its heartbeat, though its pid is alive in this boot", () => {
    const now = Date.now();
    const earlierBoot = runs.create({ kind: 'materialize', view: 'v' });
    const ownPid = runs.create({ kind: 'push', view: 'v' });
    const fresh = runs.create({ kind: 'check', view: 'v' });
    own(earlierBoot.id, sleeper.pid!, `${processHost()}/boot:00000000-0000-0000-0000-000000000000`, now - 3_600_000);
    // A service started at boot often gets the same pid as in the earlier boot: this process's own pid.
    own(ownPid.id, process.pid, `${processHost()}/boot:00000000-0000-0000-0000-000000000000`, now - 3_600_000);
    own(fresh.id, sleeper.pid!, `${processHost()}/boot:00000000-0000-0000-0000-000000000000`, now - 10_000);
    expect(failOrphanedRuns(db, now).sort()).toEqual([earlierBoot.id, ownPid.id].sort());
    expect(runs.get(earlierBoot.id)).toMatchObject({ status: 'failed', message: expect.stringMatching(/stopped before it finished: it last said it was alive at .*, more than 5 minutes ago$/) });
    expect(runs.get(fresh.id).status).toBe('running');
    expect(owner(earlierBoot.id)).toBeUndefined();
    expect(db.prepare('SELECT run_id FROM alerts_due WHERE run_id = ?').get(earlierBoot.id)).toEqual({ run_id: earlierBoot.id });
    runs.update(fresh.id, { status: 'success', finished_at: new Date().toISOString() });
  });

  it('fails a run of this boot whose pid answers but whose owner has been silent for more than 5 minutes', () => {
    const now = Date.now();
    const reused = runs.create({ kind: 'materialize', view: 'v' });
    const legacy = runs.create({ kind: 'dataset', service: 's' });
    const alive = runs.create({ kind: 'push', view: 'v' });
    own(reused.id, sleeper.pid!, processBootHost()!, now - ORPHAN_AFTER_MS - 1);
    // A row of a version that recorded no boot id: the same rule.
    own(legacy.id, sleeper.pid!, processHost(), now - 3_600_000);
    own(alive.id, sleeper.pid!, processBootHost()!, now - 20_000);
    expect(failOrphanedRuns(db, now).sort()).toEqual([reused.id, legacy.id].sort());
    expect(runs.get(reused.id)).toMatchObject({ status: 'failed', message: expect.stringContaining('more than 5 minutes ago') });
    expect(runs.get(alive.id).status).toBe('running');
    runs.update(alive.id, { status: 'success', finished_at: new Date().toISOString() });
  });

  it("never fails this process's own running runs, however long since their last beat", () => {
    const now = Date.now();
    const mine = runs.create({ kind: 'dataset', service: 's' });
    own(mine.id, process.pid, processBootHost()!, now - 3_600_000);
    expect(failOrphanedRuns(db, now)).toEqual([]);
    expect(runs.get(mine.id).status).toBe('running');
    runs.update(mine.id, { status: 'success', finished_at: new Date().toISOString() });
  });
});
