/**
 * `/ready` over a Redis Cluster one of whose masters is gone (a review finding: it probed one key, so one slot
 * and one master, and stayed 200 for ~18 s, until the cluster marked itself `fail`, while every read of the dead
 * master's slots answered 503). Its own cluster, with a long node timeout: the cluster stays `ok` meanwhile, as a
 * production cluster does for its `cluster-node-timeout`.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { slotOfTag } from '../../src/online/redis-cluster-slots.js';
import { createApp, type FeatureguardApp } from '../../src/server/app.js';
import { startRedisCluster, type RedisClusterProcess } from '../setup/redis.js';
import { createFixture, type Fixture } from './fixture.js';

let cluster: RedisClusterProcess;
let fx: Fixture;
let app: FeatureguardApp;
beforeAll(async () => {
  cluster = await startRedisCluster(3, { nodeTimeoutMs: 30_000 });
  fx = await createFixture({ onlineStore: `{type: redis, cluster: ${JSON.stringify(cluster.ports.map((p) => `127.0.0.1:${p}`))}, key_prefix: "fgready:"}` });
  app = createApp(fx.project);
});
afterAll(async () => {
  await fx?.close();
  await cluster?.stop();
});

it('answers 503 store_unavailable within 1.5 s of a master going away that holds neither the prefix\'s {meta} keys nor the old probe key, and 200 once it is back', async () => {
  expect((await app.request('/ready')).status).toBe(200);
  const admin = new Redis({ port: cluster.ports[0], host: '127.0.0.1' });
  const ranges = (await admin.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
  admin.disconnect();
  const ownerOf = (slot: number) => ranges.find(([lo, hi]) => slot >= lo && slot <= hi)![2][1];
  // The old probe read `readMany('__featureguard_ready__', [], [['ready']])`: the entity key's tag and `{meta}`.
  const probed = new Set([ownerOf(slotOfTag(JSON.stringify(['ready']))), ownerOf(slotOfTag('meta'))]);
  const victim = cluster.ports.find((p) => !probed.has(p))!;
  expect(victim).toBeDefined();
  const killed = performance.now();
  const down = cluster.restart(victim, 4_000);
  let seen: { status: number; ms: number; body: { checks: { online_store: { code?: string } } } } | undefined;
  while (performance.now() - killed < 3_500) {
    const res = await app.request('/ready');
    if (res.status === 503) {
      seen = { status: res.status, ms: performance.now() - killed, body: await res.json() };
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(seen?.body.checks.online_store.code).toBe('store_unavailable');
  expect(seen!.ms).toBeLessThan(1_500);
  // A read of the dead master's slots names it (it said only `Connection is closed.`).
  const store = await fx.project.onlineStore();
  const keys = Array.from({ length: 30 }, (_, i) => [`e${i}`]);
  const e = (await store.readMany('origin_delays', ['dep_delay'], keys).catch((x: unknown) => x)) as { code?: string; message: string };
  expect(e.code).toBe('store_unavailable');
  expect(e.message).toContain(`127.0.0.1:${victim}`);
  expect(e.message.match(/127\.0\.0\.1:\d+/g)!.slice(3)).toEqual([`127.0.0.1:${victim}`]);
  await down;
  let back = 0;
  for (let i = 0; i < 50 && back !== 200; i++) {
    back = (await app.request('/ready')).status;
    if (back !== 200) await new Promise((r) => setTimeout(r, 200));
  }
  expect(back).toBe(200);
});
