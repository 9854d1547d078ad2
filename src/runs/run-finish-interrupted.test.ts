/**
 * A run whose last update waits for another process's write lock (`updateWhenFree`) is still this process's
 * unfinished run until that write is done: an interrupt meanwhile (Ctrl-C of a CLI dataset build) marks it failed,
 * rather than leaving it `running` for the next process to find (a regression review finding: it was forgotten
 * before its write).
 */
import { expect, it } from 'vitest';
import { tempStateDb } from '../../test/helpers/state-db.js';
import { holdWriteLock } from '../../test/helpers/write-lock.js';
import { failUnfinishedRuns, openRunStore } from './run-store.js';

const { db, file } = tempStateDb('run-finish-interrupted');

it('an interrupt while the final update waits for the lock marks the run failed', async () => {
  const runs = openRunStore(db);
  const run = runs.create({ kind: 'dataset', service: 's' });
  const { ended } = await holdWriteLock(file, 600);
  const finishing = runs.updateWhenFree(run.id, { status: 'success', finished_at: new Date().toISOString() });
  // The handler's own write waits out the lock in SQLite (it is synchronous, for signal handlers).
  const failed = failUnfinishedRuns('interrupted (SIGINT) before it finished');
  expect(failed).toEqual([run.id]);
  expect(runs.get(run.id)).toMatchObject({ status: 'failed', message: 'interrupted (SIGINT) before it finished' });
  await finishing;
  await ended;
});
