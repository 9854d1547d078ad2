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
