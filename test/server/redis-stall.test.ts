/**
 * The API over a Redis online store that is connected but stops answering (a real
 * redis-server of this test's own, paused with SIGSTOP: a stuck Redis, a partition
 * after connecting). Online reads answer 503 `store_unavailable` and `/metrics`
 * answers without the store's gauge within seconds, instead of hanging until Redis
 * answers again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { materialize } from '../../src/materialize/materialize.js';
import { createApp, type FeatureguardApp } from '../../src/server/app.js';
import { freeRedisPort } from '../setup/redis.js';
import { createFixture, post, type Fixture } from './fixture.js';

let redis: ChildProcess;
let redisDir: string;
let fx: Fixture;
let app: FeatureguardApp;

beforeAll(async () => {
  // A redis-server of its own (not the shared one): this test pauses it.
  const port = await freeRedisPort();
  redisDir = mkdtempSync(join(tmpdir(), 'fg-redis-stall-'));
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', redisDir, '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 15_000);
    redis.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('Ready to accept connections')) (clearTimeout(timer), resolve());
    });
  });
  fx = await createFixture({ onlineStore: `{type: redis, url: "redis://127.0.0.1:${port}", key_prefix: "fgstall:"}` });
  app = createApp(fx.project, { errorLog: () => undefined });
});
afterAll(async () => {
  redis?.kill('SIGCONT');
  await fx?.close();
  if (redis && redis.exitCode === null) {
    const exited = new Promise((r) => redis.once('exit', r));
    redis.kill('SIGTERM');
    await exited;
  }
  if (redisDir) rmSync(redisDir, { recursive: true, force: true });
});

/** The response within `ms`, or a failure saying it hung (the request is left to itself). */
async function within(ms: number, work: () => Response | Promise<Response>): Promise<{ res: Response; text: string; elapsed: number }> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    const res = await Promise.race([work(), hung]);
    const text = await Promise.race([res.text(), hung]);
    return { res, text, elapsed: performance.now() - t0 };
  } finally {
    clearTimeout(timer);
  }
}

const read = () => app.request('/v1/online-features', post({ features: ['origin_delays:dep_delay'], entities: { origin: ['SEA'] } }));

it('answers online reads with 503 store_unavailable and /metrics without the store gauge while Redis is stalled', async () => {
  const [result] = await materialize(fx.project, { start: '2001-01-01T00:00:00Z', end: '2001-01-02T00:00:00Z' });
  expect(['success', 'warned']).toContain(result.status);
  expect((await read()).status).toBe(200);
  const before = await within(5_000, () => app.request('/metrics'));
  expect(before.text).toMatch(/^featureguard_view_materialized_until_seconds\{view="origin_delays"\} \d+/m);

  redis.kill('SIGSTOP');
  try {
    const metrics = await within(6_000, () => app.request('/metrics'));
    expect(metrics.res.status).toBe(200);
    expect(metrics.elapsed).toBeLessThan(2_500);
    expect(metrics.text).not.toMatch(/^featureguard_view_materialized_until_seconds\{/m);
    expect(metrics.text).toMatch(/^featureguard_view_last_success_seconds\{view="origin_delays"\} \d+/m);

    // 2 s for its own commands, after up to 2 s behind the scrape's (one pipeline at a time per connection).
    const online = await within(8_000, read);
    expect(online.res.status, online.text).toBe(503);
    expect(online.elapsed).toBeLessThan(5_000);
    const body = JSON.parse(online.text);
    expect(body.error.code).toBe('store_unavailable');
    expect(body.error.message).toMatch(/^the redis online store \(redis:\/\/127\.0\.0\.1:\d+\/0\) is unavailable: no answer within 2 s; check that Redis is running and reachable$/);
    expect(online.res.headers.get('retry-after')).toBe('1');
  } finally {
    redis.kill('SIGCONT');
  }

  // The connection was never lost: once Redis answers again, so does the server.
  let res = await read();
  for (let i = 0; i < 50 && res.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 100));
    res = await read();
  }
  expect(res.status).toBe(200);
  expect((await within(5_000, () => app.request('/metrics'))).text).toMatch(/^featureguard_view_materialized_until_seconds\{view="origin_delays"\} \d+/m);
});
