/**
 * `serve` fails the runs of stopped processes (at start and in its sweeps) waiting for another process's write lock
 * on a timer: the event loop keeps running meanwhile (it was SQLite's synchronous busy wait: the server stopped
 * answering for as long as a CLI held the lock, up to 10 s), and the run is failed once the lock is released.
 */
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { tempStateDb } from '../../test/helpers/state-db.js';
import { holdWriteLock } from '../../test/helpers/write-lock.js';
import { failOrphanedRunsWhenFree, openRunStore } from './run-store.js';

const { db, file } = tempStateDb('run-owners-when-free');

it('waits for the lock without blocking the event loop, then fails the orphaned run', async () => {
  const runs = openRunStore(db);
  const dead = runs.create({ kind: 'dataset', service: 's' });
  db.prepare('UPDATE run_owners SET pid = ? WHERE run_id = ?').run(spawnSync(process.execPath, ['-e', '0']).pid, dead.id);
  const { ended } = await holdWriteLock(file, 800);
  // Ticks of a 20 ms timer while the lock is held: none arrive if the wait is synchronous.
  let ticks = 0;
  const timer = setInterval(() => ticks++, 20);
  const failing = failOrphanedRunsWhenFree(db);
  await new Promise((r) => setTimeout(r, 400));
  expect(ticks).toBeGreaterThan(5);
  expect(runs.get(dead.id).status).toBe('running');
  expect(await failing).toEqual([dead.id]);
  clearInterval(timer);
  expect(runs.get(dead.id)).toMatchObject({ status: 'failed', message: expect.stringMatching(/stopped before it finished$/) });
  await ended;
});
