/**
 * Writes of the quality log wait for another process's write instead of failing
 * at once (a review finding: a transaction that read before it wrote got
 * SQLITE_BUSY without SQLite's busy handler being called, so a push or a dataset
 * build answered 503 whenever another process, an `apply`, was writing).
 */
import { describe, expect, it } from 'vitest';
import { tempStateDb } from '../../test/helpers/state-db.js';
import { openRunStore } from './run-store.js';
import type { CheckResult } from './types.js';
import { holdWriteLock } from '../../test/helpers/write-lock.js';

const { db, file } = tempStateDb('run-store-busy');


describe('quality-log writes while another process writes', () => {
  it('check results and profiles wait for the lock and are all recorded', async () => {
    const runs = openRunStore(db);
    const run = runs.create({ kind: 'push', view: 'v' });
    const result = (check: string) => ({ run_id: run.id, check, feature: null, slice: null, status: 'pass' }) as unknown as CheckResult;
    const { ended } = await holdWriteLock(file, 400);
    const t = performance.now();
    await runs.addResults([result('drift'), result('volume')]);
    await runs.addProfiles(run.id, [{ column: 'x', slice: null, profile: { rows: 1 } }] as never);
    // They waited for the lock (not failed with SQLITE_BUSY, not written around it).
    expect(performance.now() - t).toBeGreaterThan(200);
    await ended;
    expect(runs.results(run.id).map((r) => r.check)).toEqual(['drift', 'volume']);
    expect(runs.profiles(run.id)).toHaveLength(1);
  });
});
