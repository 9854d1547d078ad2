/**
 * The API over a Redis online store whose redis-server goes away (a real
 * redis-server of this test's own, killed mid-test): reads, pushes and `/ready`
 * fail fast with 503 `store_unavailable` instead of a slow 500, and the server
 * serves again once Redis is back on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { materialize } from '../../src/materialize/materialize.js';
import { createApp, type FeatureguardApp } from '../../src/server/app.js';
import { startRedisServer, type RedisProcess } from '../setup/redis.js';
import { createFixture, post, type Fixture } from './fixture.js';

let redis: RedisProcess;
let revived: ChildProcess | undefined;
let revivedDir: string | undefined;
let fx: Fixture;
let app: FeatureguardApp;
const logged: unknown[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  fx = await createFixture({ onlineStore: `{type: redis, url: "redis://127.0.0.1:${redis.port}", key_prefix: "fgdown:"}` });
  app = createApp(fx.project, { errorLog: (e) => logged.push(e) });
});
afterAll(async () => {
  await fx?.close();
  await redis?.stop();
  if (revived && revived.exitCode === null) {
    const exited = new Promise((r) => revived!.once('exit', r));
    revived.kill('SIGTERM');
    await exited;
  }
  if (revivedDir) rmSync(revivedDir, { recursive: true, force: true });
});

const read = () => app.request('/v1/online-features', post({ features: ['origin_delays:dep_delay'], entities: { origin: ['SEA'] } }));

async function timed(work: () => Response | Promise<Response>): Promise<{ res: Response; body: any; ms: number }> {
  const t0 = performance.now();
  const res = await work();
  const body = await res.json();
  return { res, body, ms: performance.now() - t0 };
}

/** redis-server again on the same port (empty: no persistence). */
async function reviveRedis(port: number): Promise<void> {
  revivedDir = mkdtempSync(join(tmpdir(), 'fg-redis-revived-'));
  revived = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', revivedDir, '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not restart:\n${out}`)), 15_000);
    revived!.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('Ready to accept connections')) (clearTimeout(timer), resolve());
    });
  });
}

it('fails fast with 503 store_unavailable while Redis is down, and recovers when it is back', async () => {
  const [result] = await materialize(fx.project, { start: '2001-01-01T00:00:00Z', end: '2001-01-02T00:00:00Z' });
  expect(['success', 'warned']).toContain(result.status);
  expect((await read()).status).toBe(200);
  expect((await app.request('/ready')).status).toBe(200);

  await redis.stop();

  for (let i = 0; i < 3; i++) {
    const { res, body, ms } = await timed(read);
    expect(res.status, JSON.stringify(body)).toBe(503);
    expect(body.error.code).toBe('store_unavailable');
    expect(body.error.message).toMatch(new RegExp(`^the redis online store \\(redis://127\\.0\\.0\\.1:${redis.port}/0\\) is unavailable: .+; check that Redis is running and reachable$`));
    expect(res.headers.get('retry-after')).toBe('1');
    expect(ms).toBeLessThan(1_000);
    await new Promise((r) => setTimeout(r, 300)); // later requests (more reconnect attempts behind them) stay fast too
  }

  const ready = await timed(() => app.request('/ready'));
  expect(ready.res.status).toBe(503);
  expect(ready.body).toMatchObject({ status: 'not_ready', checks: { state_db: { ok: true }, online_store: { ok: false } } });
  expect(ready.ms).toBeLessThan(2_000);

  const pushed = await timed(() => app.request('/v1/push', post({
    view: 'origin_delays', rows: [{ origin: 'SEA', event_timestamp: '2001-01-03T00:00:00Z', dep_delay: 1, flights: 1, carrier: 'AA' }],
  })));
  expect(pushed.res.status).toBe(503);
  expect(pushed.body.error.code).toBe('store_unavailable');
  expect(pushed.ms).toBeLessThan(1_000);
  const [pushRun] = fx.project.runs.list({ kind: 'push' }).runs;
  expect(pushRun).toMatchObject({ status: 'failed', message: expect.stringMatching(/redis online store .* is unavailable/) });
  expect(logged.every((e) => (e as { code?: string }).code === 'store_unavailable')).toBe(true);

  await reviveRedis(redis.port);
  let res = await read();
  for (let i = 0; i < 50 && res.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 100));
    res = await read();
  }
  expect(res.status).toBe(200); // empty store (no persistence): NOT_FOUND values, but served
  expect((await app.request('/ready')).status).toBe(200);
});
