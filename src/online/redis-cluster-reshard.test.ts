/**
 * A Redis Cluster whose slots move under a store (resharding, rebalancing): its own cluster, since moving slots
 * of the suite's shared one would redirect other tests' commands.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type RedisClusterProcess } from '../../test/setup/redis.js';
import { decodeValues } from './record-codec.js';
import { slotOfTag } from './redis-cluster-slots.js';
import { connectRedis } from './redis-connection.js';
import { redisKeys } from './redis-keys.js';
import { createRedisReader } from './redis-read.js';
import { asStoredValue } from './record-codec.js';
import { openRedisOnlineStore } from './redis-store.js';
import type { OnlineKey, OnlineStore } from './types.js';

let cluster: RedisClusterProcess;
let admins: Map<number, Redis>;
beforeAll(async () => {
  cluster = await startRedisCluster(3);
  admins = new Map(cluster.ports.map((p) => [p, new Redis({ port: p, host: '127.0.0.1' })]));
});
afterAll(async () => {
  for (const a of admins?.values() ?? []) a.disconnect();
  await cluster?.stop();
});

type Ranges = [number, number, [string, number]][];
async function ownerOfSlot(slot: number): Promise<number> {
  const ranges = (await admins.get(cluster.ports[0])!.cluster('SLOTS')) as unknown as Ranges;
  return ranges.find(([lo, hi]) => slot >= lo && slot <= hi)![2][1];
}
const idOf = async (port: number) => String(await admins.get(port)!.cluster('MYID'));

/**
 * Move `slot` from master `from` to master `to` as `redis-cli --cluster reshard` does: IMPORTING/MIGRATING, its
 * keys MIGRATEd; then, unless `halfway` (the slot left migrating: its keys answer ASK), the slot given to `to`.
 */
async function moveSlot(slot: number, from: number, to: number, halfway = false): Promise<void> {
  const [fromId, toId] = [await idOf(from), await idOf(to)];
  await admins.get(to)!.cluster('SETSLOT', slot, 'IMPORTING', fromId);
  await admins.get(from)!.cluster('SETSLOT', slot, 'MIGRATING', toId);
  const keys = (await admins.get(from)!.cluster('GETKEYSINSLOT', slot, 1000)) as string[];
  if (keys.length > 0) await admins.get(from)!.migrate('127.0.0.1', to, '', 0, 5000, 'KEYS', ...keys);
  if (halfway) return;
  for (const port of [to, from, ...cluster.ports.filter((p) => p !== to && p !== from)]) await admins.get(port)!.cluster('SETSLOT', slot, 'NODE', toId);
}

describe('redis store: a cluster whose slots move (resharding)', () => {
  const keys: OnlineKey[] = Array.from({ length: 60 }, (_, i) => [`e${i}`]);
  const rows = (value: string, eventTs: number) => keys.map((key) => ({ key, values: [value], eventTs, createdTs: 0 }));

  it('reads of many entities follow a moved slot (MOVED) and a migrating one (ASK): no 503 "All keys in the pipeline…"', async () => {
    const key_prefix = `fgtest:${randomUUID()}:`;
    const store: OnlineStore = await openRedisOnlineStore({ cluster: cluster.ports.map((p) => `127.0.0.1:${p}`), key_prefix });
    try {
      await store.writeBatch('v', ['x'], rows('before', 1));
      await store.writeBatch('w', ['x'], rows('before', 1));
      const read = async () => (await store.readMany('v', ['x'], keys)).map((r) => r?.values[0]);
      // A read of several views follows them alike (the same read).
      const readViews = async () =>
        (await store.readManyEncodedViews(['v', 'w'].map((view) => ({ view, features: ['x'], keys })))).map((got) => got.map((r) => r && decodeValues(r.encoded)[0]));
      expect(await read()).toEqual(keys.map(() => 'before'));
      const metaOwner = await ownerOfSlot(slotOfTag('meta'));
      // Slots of entities on a master that is not `{meta}`'s and holds several of them: the store's auto-pipeline
      // to that master mixes the moved slot with slots that stay.
      const owners = await Promise.all(keys.map(async (k) => [slotOfTag(JSON.stringify(k)), await ownerOfSlot(slotOfTag(JSON.stringify(k)))] as const));
      const from = cluster.ports.find((p) => p !== metaOwner)!;
      const slots = [...new Set(owners.filter(([, o]) => o === from).map(([s]) => s))];
      expect(slots.length).toBeGreaterThan(5);
      const to = cluster.ports.find((p) => p !== from)!;
      // Moved whole: the store's slot map is stale, the old master answers MOVED for it.
      await moveSlot(slots[0], from, to);
      expect(await read()).toEqual(keys.map(() => 'before'));
      // Halfway: keys already migrated answer ASK from the old master.
      await moveSlot(slots[1], from, to, true);
      expect(await read()).toEqual(keys.map(() => 'before'));
      await moveSlot(slots[1], from, to);
      // Several slots at once, each read right after its move.
      for (const slot of slots.slice(2, 4)) {
        await moveSlot(slot, from, to);
        expect(await read()).toEqual(keys.map(() => 'before'));
      }
      // Moved whole, then halfway, under a read of several views.
      await moveSlot(slots[4], from, to);
      expect(await readViews()).toEqual([keys.map(() => 'before'), keys.map(() => 'before')]);
      await moveSlot(slots[5], from, to, true);
      expect(await readViews()).toEqual([keys.map(() => 'before'), keys.map(() => 'before')]);
      await moveSlot(slots[5], from, to);
    } finally {
      await store.close();
    }
  });

  it("a read's retry after a redirect is not failed by another request's auto-pipeline batch split by a slot that moved meanwhile", async () => {
    // Under load, the retry's snapshot (GET and HKEYS on `{meta}`'s master) joined other requests' HMGETs to that
    // master in one auto-pipeline batch; a slot among those that moved made ioredis send the batch again with the
    // slot redirected and refuse it ("All keys in the pipeline should belong to the same slots allocation
    // group"): a 503 for a read already on its retry. Here the other request's commands are queued by hand in the
    // turn the retry begins, after a second slot of `{meta}`'s master moved.
    const key_prefix = `fgtest:${randomUUID()}:`;
    const layout = redisKeys(key_prefix);
    const nodes = cluster.ports.map((p) => `127.0.0.1:${p}`);
    const store: OnlineStore = await openRedisOnlineStore({ cluster: nodes, key_prefix });
    const conn = await connectRedis({ cluster: nodes, key_prefix }, layout);
    try {
      await store.writeBatch('v', ['x'], rows('before', 1));
      const from = await ownerOfSlot(slotOfTag('meta'));
      const to = cluster.ports.find((p) => p !== from)!;
      const owners = await Promise.all(keys.map(async (k) => [k, slotOfTag(JSON.stringify(k)), await ownerOfSlot(slotOfTag(JSON.stringify(k)))] as const));
      const onFrom = owners.filter(([, , o]) => o === from);
      const slots = [...new Set(onFrom.map(([, s]) => s))].filter((s) => s !== slotOfTag('meta'));
      expect(slots.length).toBeGreaterThan(3);
      const [first, second, stays] = slots;
      const keyOf = (slot: number) => onFrom.find(([, s]) => s === slot)![0];
      const failures: string[] = [];
      const guarded = <T>(p: Promise<T>): Promise<T> =>
        conn.guarded(p).catch(async (e: unknown) => {
          failures.push((e as Error).message);
          if (failures.length === 1) {
            await moveSlot(second, from, to);
            for (const slot of [second, stays]) void conn.client.hmget(layout.entityKey('v', keyOf(slot)), 'c', 'p').catch(() => undefined);
          }
          throw e;
        });
      const reader = createRedisReader({ ...conn, guarded }, layout);
      expect((await reader.read([{ view: 'v', features: ['x'], keys }], asStoredValue))[0].map((r) => r?.values[0])).toEqual(keys.map(() => 'before'));
      // Moved whole, the reader unaware: its first batch to `from` is refused, then the retry goes through.
      await moveSlot(first, from, to);
      const [got] = await reader.read([{ view: 'v', features: ['x'], keys }], asStoredValue);
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatch(/slots allocation group|MOVED/);
      expect(got.map((r) => r?.values[0])).toEqual(keys.map(() => 'before'));
    } finally {
      conn.client.disconnect();
      await store.close();
    }
  });

  it('reads in a loop during `redis-cli --cluster reshard` never fail', async () => {
    const key_prefix = `fgtest:${randomUUID()}:`;
    const many: OnlineKey[] = Array.from({ length: 500 }, (_, i) => [`m${i}`]);
    const store: OnlineStore = await openRedisOnlineStore({ cluster: cluster.ports.map((p) => `127.0.0.1:${p}`), key_prefix });
    try {
      await store.writeBatch('v', ['x'], many.map((key) => ({ key, values: ['before'], eventTs: 1, createdTs: 0 })));
      const [from, to] = [cluster.ports[1], cluster.ports[2]];
      const errors: string[] = [];
      let reads = 0;
      let resharding = true;
      const readers = Array.from({ length: 4 }, async () => {
        while (resharding) {
          try {
            const got = await store.readMany('v', ['x'], many);
            if (got.some((r) => r?.values[0] !== 'before')) errors.push('wrong values');
          } catch (e) {
            errors.push((e as Error).message);
          }
          reads++;
        }
      });
      const reshard = promisify(execFile)('redis-cli', ['--cluster', 'reshard', `127.0.0.1:${from}`, '--cluster-from', await idOf(from), '--cluster-to', await idOf(to),
        '--cluster-slots', '1500', '--cluster-yes', '--cluster-pipeline', '10']);
      await reshard.finally(() => (resharding = false));
      await Promise.all(readers);
      expect(errors).toEqual([]);
      expect(reads).toBeGreaterThan(10);
    } finally {
      await store.close();
    }
  });

  it('a write batch whose slots moved (MOVED, ASK) is written, not failed with "MOVED … retry": each key sent again once', async () => {
    const key_prefix = `fgtest:${randomUUID()}:`;
    const store: OnlineStore = await openRedisOnlineStore({ cluster: cluster.ports.map((p) => `127.0.0.1:${p}`), key_prefix });
    try {
      await store.writeBatch('v', ['x'], rows('before', 1));
      const metaOwner = await ownerOfSlot(slotOfTag('meta'));
      const owners = await Promise.all(keys.map(async (k) => [slotOfTag(JSON.stringify(k)), await ownerOfSlot(slotOfTag(JSON.stringify(k)))] as const));
      const from = owners.map(([, o]) => o).find((o) => o !== metaOwner)!;
      const slots = [...new Set(owners.filter(([, o]) => o === from).map(([s]) => s))];
      const to = cluster.ports.find((p) => p !== from && p !== metaOwner) ?? cluster.ports.find((p) => p !== from)!;
      await moveSlot(slots[0], from, to);
      await moveSlot(slots[1], from, to, true);
      expect(await store.writeBatch('v', ['x'], rows('after', 2))).toEqual({ written: keys.length, skipped: 0 });
      expect((await store.readMany('v', ['x'], keys)).map((r) => r?.values[0])).toEqual(keys.map(() => 'after'));
      await moveSlot(slots[1], from, to);
      // Monotonic still: an older window written over the moved slots changes nothing.
      expect(await store.writeBatch('v', ['x'], rows('older', 1))).toEqual({ written: 0, skipped: keys.length });
    } finally {
      await store.close();
    }
  });
});
