/**
 * A Redis Cluster with slots down (a master gone, no replica to take over): reads fail fast, as the README says.
 * Its own cluster: the suite's shared one must not lose a master under other tests.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type RedisClusterProcess } from '../../test/setup/redis.js';
import { slotOfTag } from './redis-cluster-slots.js';
import { openRedisOnlineStore } from './redis-store.js';
import type { ReadyProbe } from './ready-probe.js';
import type { OnlineStore } from './types.js';

let cluster: RedisClusterProcess;
beforeAll(async () => {
  // A master is marked failed after 2 s of silence (5 s by default): the tests wait for it.
  cluster = await startRedisCluster(3, { nodeTimeoutMs: 2_000 });
});
afterAll(async () => {
  await cluster?.stop();
});

describe('redis store: a cluster whose slots are down', () => {
  it("reads of them (and /ready's probe) fail with store_unavailable within about a second, and work again once the master is back", async () => {
    const key_prefix = `fgtest:${randomUUID()}:`;
    const store: OnlineStore = await openRedisOnlineStore({ cluster: cluster.ports.map((p) => `127.0.0.1:${p}`), key_prefix });
    try {
      const keys = Array.from({ length: 24 }, (_, i) => [`e${i}`]);
      await store.writeBatch('v', ['x'], keys.map((key) => ({ key, values: ['before'], eventTs: 1, createdTs: 0 })));
      const admin = new Redis({ port: cluster.ports[0], host: '127.0.0.1' });
      const ranges = (await admin.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
      admin.disconnect();
      const ownerOf = (tag: string) => ranges.find(([lo, hi]) => slotOfTag(tag) >= lo && slotOfTag(tag) <= hi)![2][1];
      const victim = cluster.ports.find((p) => p !== ownerOf('meta'))!;
      const killed = performance.now();
      const down = cluster.restart(victim, 5_000);
      await new Promise((r) => setTimeout(r, 300));
      // Both before the cluster marks the master failed (node timeout 2 s: connections refused) and after (CLUSTERDOWN).
      const latencies: number[] = [];
      const codes = new Set<string>();
      const readyLatencies: number[] = [];
      const readyCodes = new Set<string>();
      const probeMessages = new Set<string>();
      // Until 4.5 s after the kill (the master comes back after 5 s).
      for (let i = 0; performance.now() - killed < 4_500; i++) {
        const t0 = performance.now();
        await store.readMany('v', ['x'], keys).then(
          () => codes.add('ok'),
          (e: { code?: string; message: string }) => codes.add(e.code ?? 'raw'),
        );
        latencies.push(performance.now() - t0);
        // `/ready`'s probe (routes/health.ts), which gives up after 1.5 s with `timeout`: answered before that.
        const t1 = performance.now();
        await store.readMany('__featureguard_ready__', [], [['ready']]).then(
          () => readyCodes.add('ok'),
          (e: { code?: string }) => readyCodes.add(e.code ?? 'raw'),
        );
        readyLatencies.push(performance.now() - t1);
        // The store's own probe of every master (`probeReady`): its node-named failures, CLUSTERDOWN once the
        // cluster marks the master failed, are outages too (they read as `internal_error` on `/ready`).
        const t2 = performance.now();
        await (store as OnlineStore & ReadyProbe).probeReady().then(
          () => readyCodes.add('ok'),
          (e: { code?: string; message: string }) => {
            readyCodes.add(e.code ?? `raw: ${e.message}`);
            if (e.code === 'store_unavailable') probeMessages.add(e.message.replace(/^.*is unavailable: /, ''));
          },
        );
        readyLatencies.push(performance.now() - t2);
        await new Promise((r) => setTimeout(r, 500));
      }
      expect([...codes]).toEqual(['store_unavailable']);
      expect(Math.max(...latencies)).toBeLessThan(1_200);
      expect([...readyCodes].filter((c) => c !== 'ok' && c !== 'store_unavailable')).toEqual([]);
      expect(Math.max(...readyLatencies)).toBeLessThan(1_200);
      // After the node timeout (2 s) the masters still up answer CLUSTERDOWN, the node that answered named.
      expect([...probeMessages].some((m) => /^127\.0\.0\.1:\d+: CLUSTERDOWN/.test(m))).toBe(true);
      await down;
      let back: unknown[] | undefined;
      for (let i = 0; i < 30 && back === undefined; i++) {
        back = await store.readMany('v', ['x'], keys).then((r) => r.map((x) => x?.values[0]), () => undefined);
        if (back === undefined) await new Promise((r) => setTimeout(r, 200));
      }
      expect(back?.filter((v) => v === 'before').length).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it('a store opened while a master is down opens at once and its reads fail fast (a review finding: every new process hung until the master came back)', async () => {
    const admin = new Redis({ port: cluster.ports[0], host: '127.0.0.1' });
    const ranges = (await admin.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
    admin.disconnect();
    const victim = ranges.map(([, , [, port]]) => port).find((p) => p !== cluster.ports[0])!;
    const down = cluster.restart(victim, 9_000);
    // The cluster marks the master failed after its node timeout (2 s): cluster_state fail.
    for (let i = 0; i < 100; i++) {
      const probe = new Redis({ port: cluster.ports[0], host: '127.0.0.1' });
      const info = String(await probe.cluster('INFO'));
      probe.disconnect();
      if (info.includes('cluster_state:fail')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const t0 = performance.now();
    const store = await openRedisOnlineStore({ cluster: cluster.ports.map((p) => `127.0.0.1:${p}`), key_prefix: `fgtest:${randomUUID()}:` });
    try {
      const keys = Array.from({ length: 24 }, (_, i) => [`e${i}`]);
      const code = await store.readMany('v', ['x'], keys).then(() => 'ok', (e: { code?: string }) => e.code ?? 'raw');
      expect(code).toBe('store_unavailable');
      expect(performance.now() - t0).toBeLessThan(3_000);
    } finally {
      await store.close();
      await down;
    }
  });
});

