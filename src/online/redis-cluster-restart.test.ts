/**
 * A Redis Cluster master restarted without persistence, under reads and pushes: its own cluster (the suite's
 * shared one must not lose a master under other tests).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type RedisClusterProcess } from '../../test/setup/redis.js';
import { slotOfTag } from './redis-cluster-slots.js';
import { openRedisOnlineStore } from './redis-store.js';
import type { OnlineStore } from './types.js';

let cluster: RedisClusterProcess;
beforeAll(async () => {
  cluster = await startRedisCluster(3);
});
afterAll(async () => {
  await cluster?.stop();
});

describe('redis store: a cluster master restarted without persistence', () => {
  it('multi-entity reads and pushes work again once the cluster is back (the redirects followed), never a raw MOVED', async () => {
    const key_prefix = `fgtest:${randomUUID()}:`;
    const store: OnlineStore = await openRedisOnlineStore({ cluster: cluster.ports.map((p) => `127.0.0.1:${p}`), key_prefix });
    try {
      const keys = Array.from({ length: 24 }, (_, i) => [`e${i}`]);
      const rows = (value: string, eventTs: number) => keys.map((key) => ({ key, values: [value], eventTs, createdTs: 0 }));
      await store.writeBatch('v', ['x'], rows('before', 1));
      const read = async () => (await store.readMany('v', ['x'], keys)).map((r) => r?.values[0]);
      expect(await read()).toEqual(keys.map(() => 'before'));
      // The master to restart: not `{meta}`'s (a redirect of the sessions' snapshot alone, one slot, is followed
      // by ioredis and refreshes its slot map), and one holding several of the entities, on different slots.
      const admin = new Redis({ port: cluster.ports[0], host: '127.0.0.1' });
      const ranges = (await admin.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
      admin.disconnect();
      const ownerOf = (tag: string) => ranges.find(([lo, hi]) => slotOfTag(tag) >= lo && slotOfTag(tag) <= hi)![2][1];
      const victim = cluster.ports.find((p) => p !== ownerOf('meta'))!;
      expect(new Set(keys.filter((k) => ownerOf(JSON.stringify(k)) === victim).map((k) => slotOfTag(JSON.stringify(k)))).size).toBeGreaterThan(1);
      // Restarted while nothing reads: ioredis drops its connection to the master (it never reconnects a node,
      // it waits for a redirect), so the next read sends that master's keys to another node, which redirects each.
      await cluster.restart(victim, 500);
      // The restarted master's entities are gone, the others kept: no MOVED, in one read of them all.
      const first = await read();
      expect(first.filter((v) => v === 'before').length).toBeGreaterThan(0);
      expect(first.filter((v) => v === undefined).length).toBeGreaterThan(0);
      await store.writeBatch('v', ['x'], rows('before', 1));
      // Again with reads going on while the master is down and comes back (as a server's would): they may
      // fail, as store_unavailable only.
      const errors = new Set<string>();
      let reading = true;
      const loop = (async () => {
        while (reading) {
          await read().catch((e: { code?: string; message: string }) => errors.add(e.code ?? e.message));
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      await new Promise((r) => setTimeout(r, 200));
      await cluster.restart(victim, 1_000);
      await new Promise((r) => setTimeout(r, 1_500));
      reading = false;
      await loop;
      const after = await read();
      expect([...errors].filter((e) => e !== 'store_unavailable')).toEqual([]);
      expect(after.filter((v) => v === 'before').length).toBeGreaterThan(0);
      expect(after.filter((v) => v === undefined).length).toBeGreaterThan(0);
      // A push of every entity (several slots per node) is written, then read back whole.
      const pushed = await store.writeBatch('v', ['x'], rows('after', 2)).catch(async (e: { code?: string }) => {
        // At worst once a transient 503 while the slot map is refreshed; the retry is written.
        expect(e.code).toBe('store_unavailable');
        return store.writeBatch('v', ['x'], rows('after', 2));
      });
      expect(pushed).toEqual({ written: keys.length, skipped: 0 });
      expect(await read()).toEqual(keys.map(() => 'after'));
    } finally {
      await store.close();
    }
  });

  it('a push right after the restart is written, or answers store_unavailable (503) once, rolled back, and its retry is written', async () => {
    const key_prefix = `fgtest:${randomUUID()}:`;
    const store: OnlineStore = await openRedisOnlineStore({ cluster: cluster.ports.map((p) => `127.0.0.1:${p}`), key_prefix });
    const admin = new Redis({ port: cluster.ports[0], host: '127.0.0.1' });
    admin.on('error', () => undefined); // it may be the master restarted
    try {
      const keys = Array.from({ length: 24 }, (_, i) => [`e${i}`]);
      const rows = (value: string, eventTs: number) => keys.map((key) => ({ key, values: [value], eventTs, createdTs: 0 }));
      await store.writeBatch('v', ['x'], rows('before', 1));
      const ranges = (await admin.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
      const ownerOf = (tag: string) => ranges.find(([lo, hi]) => slotOfTag(tag) >= lo && slotOfTag(tag) <= hi)![2][1];
      const metaPort = ownerOf('meta');
      const victim = cluster.ports.find((p) => p !== metaPort)!;
      // The store's connection to the victim ends while it is down (a read of its entities notices).
      const down = cluster.restart(victim, 1_000);
      await new Promise((r) => setTimeout(r, 300));
      await store.readMany('v', ['x'], keys).catch(() => undefined);
      await down;
      const first = await store.writeBatch('v', ['x'], rows('after', 2)).then(
        (r) => r,
        (e: { code?: string; status?: number }) => {
          expect([e.code, e.status]).toEqual(['store_unavailable', 503]);
          return null;
        },
      );
      if (first === null) {
        // The failed session was rolled back (its abort reached every node) and forgotten.
        const meta = new Redis({ port: metaPort, host: '127.0.0.1' });
        expect(await meta.hkeys(`${key_prefix}{meta}:pending:v`)).toEqual([]);
        meta.disconnect();
        expect(await store.writeBatch('v', ['x'], rows('after', 2))).toEqual({ written: keys.length, skipped: 0 });
      } else {
        expect(first).toEqual({ written: keys.length, skipped: 0 });
      }
      expect((await store.readMany('v', ['x'], keys)).map((r) => r?.values[0])).toEqual(keys.map(() => 'after'));
    } finally {
      admin.disconnect();
      await store.close();
    }
  });
});
