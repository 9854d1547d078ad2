/**
 * A push's online-write registration is its process's own from the moment it begins: a `liveOnlineWrites` of the
 * same process running while the registration's insert is under way (another request's continuation) counts it,
 * and does not take the fresh row for a dead process's and delete it (a regression review finding).
 */
import { expect, it } from 'vitest';
import { tempStateDb } from '../../test/helpers/state-db.js';
import { beginOnlineWrite, liveOnlineWrites } from './online-writes.js';

const { db } = tempStateDb('online-writes-race');

it('a registration being made is counted as live by the same process, and kept', async () => {
  await liveOnlineWrites(db, 'v');
  const writing = beginOnlineWrite(db, 'v');
  const live = liveOnlineWrites(db, 'v');
  expect(await live).toBe(1);
  const write = await writing;
  expect(await liveOnlineWrites(db, 'v')).toBe(1);
  await write.end();
  expect(await liveOnlineWrites(db, 'v')).toBe(0);
});
