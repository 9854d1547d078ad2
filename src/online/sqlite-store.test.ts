import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { describeOnlineStoreConformance } from './conformance.case.js';
import { openSqliteOnlineStore } from './sqlite-store.js';
import type { OnlineStore } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'fg-online-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

describeOnlineStoreConformance('sqlite', () => {
  const file = join(dir, `online-${n++}.db`);
  return () => openSqliteOnlineStore({ path: file }, dir);
});

describe('sqlite online store: read snapshots', () => {
  const values = async (store: OnlineStore, keys: string[]) => (await store.readMany('v', ['x'], keys.map((k) => [k]))).map((g) => g?.values[0]);
  const nextTurn = () => new Promise((r) => setImmediate(r));

  it('sees a commit by another process from the next turn of the event loop on, and releases its snapshot', async () => {
    const file = join(dir, `snap-${n++}.db`);
    const store = await openSqliteOnlineStore({ path: file }, dir);
    const other = new Database(file); // another process's connection: not known to this process's stores
    try {
      await store.writeBatch('v', ['x'], [{ key: ['a'], values: ['old'], eventTs: 1, createdTs: 0 }, { key: ['b'], values: ['new'], eventTs: 1, createdTs: 0 }]);
      expect(await values(store, ['a'])).toEqual(['old']);
      other.prepare(`UPDATE online_values SET payload = (SELECT payload FROM online_values WHERE key = '["b"]'), event_ts = 2 WHERE key = '["a"]'`).run();
      // Same turn: the snapshot this turn's first read took (the whole write or none of it).
      expect(await values(store, ['a', 'b'])).toEqual(['old', 'new']);
      await nextTurn();
      expect(await values(store, ['a', 'b'])).toEqual(['new', 'new']);
      await nextTurn();
      // No read transaction left open: a checkpoint can truncate the whole WAL.
      const [result] = other.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      expect(result.busy).toBe(0);
    } finally {
      other.close();
      await store.close();
    }
  });

  it('a loop of awaited reads that never yields to I/O still sees another process commit within milliseconds', async () => {
    const file = join(dir, `snap-${n++}.db`);
    const store = await openSqliteOnlineStore({ path: file }, dir);
    const other = new Database(file);
    try {
      await store.writeBatch('v', ['x'], [{ key: ['a'], values: ['old'], eventTs: 1, createdTs: 0 }, { key: ['b'], values: ['new'], eventTs: 1, createdTs: 0 }]);
      expect(await values(store, ['a'])).toEqual(['old']);
      other.prepare(`UPDATE online_values SET payload = (SELECT payload FROM online_values WHERE key = '["b"]'), event_ts = 2 WHERE key = '["a"]'`).run();
      const started = performance.now();
      let seen: unknown;
      while (performance.now() - started < 200 && seen !== 'new') [seen] = await values(store, ['a']);
      expect(seen).toBe('new');
      expect(performance.now() - started).toBeLessThan(100);
    } finally {
      other.close();
      await store.close();
    }
  });

  it('a write committed while a snapshot of the same turn is open still lets the WAL start over', async () => {
    const file = join(dir, `snap-${n++}.db`);
    const store = await openSqliteOnlineStore({ path: file }, dir);
    try {
      const payload = 'x'.repeat(1000);
      for (let session = 0; session < 25; session++) {
        await values(store, ['k0']); // a read in the same turn as the commit below
        await store.writeBatch('v', ['x'], Array.from({ length: 1000 }, (_, i) => ({ key: [`k${i}`], values: [payload], eventTs: session + 1, createdTs: 0 })));
      }
      // About 1 MB per session: 25 MB and growing if every commit's checkpoint were held back by the snapshot.
      expect(statSync(`${file}-wal`).size).toBeLessThan(12 * 1024 * 1024);
    } finally {
      await store.close();
    }
  });

  it('a write through any store of this process is read at once by every other store on the file', async () => {
    const file = join(dir, `snap-${n++}.db`);
    const [a, b] = [await openSqliteOnlineStore({ path: file }, dir), await openSqliteOnlineStore({ path: file }, dir)];
    try {
      await a.writeBatch('v', ['x'], [{ key: ['k'], values: [1], eventTs: 1, createdTs: 0 }]);
      expect([await values(a, ['k']), await values(b, ['k'])]).toEqual([[1], [1]]);
      await b.writeBatch('v', ['x'], [{ key: ['k'], values: [2], eventTs: 2, createdTs: 0 }]);
      expect([await values(a, ['k']), await values(b, ['k'])]).toEqual([[2], [2]]);
      await a.dropView('v');
      expect([await values(a, ['k']), await values(b, ['k'])]).toEqual([[undefined], [undefined]]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('sqlite online store: waiting for another process write lock', () => {
  const row = (v: number) => [{ key: ['k'], values: [v], eventTs: v, createdTs: 0 }];

  it('waits without blocking the event loop: reads answer and timers run until the lock is free', async () => {
    const file = join(dir, `lock-${n++}.db`);
    const store = await openSqliteOnlineStore({ path: file }, dir);
    const other = new Database(file); // another process's materialization, in its write session
    try {
      await store.writeBatch('v', ['x'], row(1));
      other.exec('BEGIN IMMEDIATE');
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      let done = false;
      const write = store.writeBatch('v', ['x'], row(2)).finally(() => (done = true));
      const drop = store.dropView('other-view');
      await new Promise((r) => setTimeout(r, 150));
      const read = await store.readMany('v', ['x'], [['k']]);
      clearInterval(timer);
      expect(ticks).toBeGreaterThan(5);
      expect(read[0]?.values).toEqual([1]);
      expect(done).toBe(false);
      other.exec('COMMIT');
      expect(await write).toEqual({ written: 1, skipped: 0 });
      await drop;
      expect((await store.readMany('v', ['x'], [['k']]))[0]?.values).toEqual([2]);
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
      await store.close();
    }
  });

  it('a lock held past the wait is store_busy (503, exit 3) naming the file, and the store stays usable', async () => {
    const file = join(dir, `lock-${n++}.db`);
    const store = await openSqliteOnlineStore({ path: file, lockWaitMs: 200 }, dir);
    const other = new Database(file);
    try {
      other.exec('BEGIN IMMEDIATE');
      const failed = await store.writeBatch('v', ['x'], row(1)).catch((e: unknown) => e);
      expect(failed).toMatchObject({ code: 'store_busy', status: 503, exitCode: 3, details: { file } });
      expect((failed as Error).message).toMatch(/online store .*lock-\d+\.db is busy: another materialization or push has held its write lock/);
      await expect(store.dropView('v')).rejects.toMatchObject({ code: 'store_busy' });
      other.exec('COMMIT');
      expect(await store.writeBatch('v', ['x'], row(1))).toEqual({ written: 1, skipped: 0 });
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
      await store.close();
    }
  });
});
