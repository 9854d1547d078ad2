/**
 * An incremental materialization that starts while the online store's epoch cannot be read (a Redis briefly
 * not answering: a failover or a restart finishing) fails, saying so, instead of resolving its window from the
 * windows of every epoch: after the store lost its values it wrote only the tail window into the empty store,
 * recorded success, and reads answered NOT_FOUND for a whole schedule period (a review finding). Its own
 * redis-server (this test flushes and pauses it).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { materialize } from '../src/materialize/materialize.js';
import { getOnlineFeatures } from '../src/serving/online-features.js';
import { startRedisServer, type RedisProcess } from './setup/redis.js';
import { createFixture, READ_SEA, type Fixture } from './server/fixture.js';

let redis: RedisProcess;
let fx: Fixture;
beforeAll(async () => {
  redis = await startRedisServer();
  fx = await createFixture({ onlineStore: `{type: redis, url: "redis://127.0.0.1:${redis.port}", key_prefix: "fgepoch:"}` });
}, 30_000);
afterAll(async () => {
  await fx?.close();
  await redis?.stop();
});

const incremental = { views: ['origin_delays'], incremental: true, guards: false } as const;

it('an incremental run whose store epoch cannot be read as it starts fails, and the next one writes every window again', async () => {
  const [first] = await materialize(fx.project, incremental);
  expect([first.status, first.entitiesWritten]).toEqual(['success', 3]);
  const r = new Redis(`redis://127.0.0.1:${redis.port}`);
  try {
    // Redis restarted without persistence, and not answering for 2.3 s as the next run starts.
    await r.flushall();
    await r.call('CLIENT', 'PAUSE', '2300', 'ALL');
  } finally {
    r.disconnect();
  }
  const [blip] = await materialize(fx.project, incremental);
  expect([blip.status, blip.entitiesWritten, blip.message]).toEqual(['failed', 0, expect.stringMatching(/^could not read the online store's epoch as the run started .*nothing was written/)]);
  expect(fx.project.runs.get(blip.run!.id)).toMatchObject({ status: 'failed', message: blip.message });
  // The next run starts afresh in the new epoch: every window written again, not only the tail.
  const [again] = await materialize(fx.project, incremental);
  expect([again.status, again.entitiesWritten, again.window.start]).toEqual(['success', 3, first.window.start]);
  expect((await getOnlineFeatures(fx.project, READ_SEA)).results[1].values).toEqual([23]);
}, 60_000);
