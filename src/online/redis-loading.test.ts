/**
 * A Redis still loading its dataset (a restart with a large RDB): opening the store waits until it answers, as it
 * did before the connection's PING was removed (ioredis's ready check waited), where `serve` and every CLI
 * command exited 3 with "LOADING …; check that Redis is running and reachable" (a review finding). The server is
 * slowed with `--key-load-delay` and answers LOADING meanwhile.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assertRedisInstalled, freeRedisPort } from '../../test/setup/redis.js';
import { storeUnavailable } from './redis-connection.js';
import { openRedisOnlineStore } from './redis-store.js';

let dir: string;
let port: number;
let server: ChildProcess | undefined;

const launch = (extra: string[]) =>
  spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--dbfilename', 'dump.rdb', '--save', '', '--appendonly', 'no', '--enable-debug-command', 'yes', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
const waitFor = (child: ChildProcess, text: string) =>
  new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes(text)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${out}`)));
  });
const stop = async (child: ChildProcess | undefined) => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
};

beforeAll(async () => {
  assertRedisInstalled();
  dir = mkdtempSync(join(tmpdir(), 'fg-redis-loading-'));
  port = await freeRedisPort();
  const first = launch([]);
  await waitFor(first, 'Ready to accept connections');
  const admin = new Redis({ port, host: '127.0.0.1' });
  await admin.call('DEBUG', 'POPULATE', '20000', 'fgload', '64');
  await admin.call('SAVE');
  admin.disconnect();
  await stop(first);
});
afterAll(async () => {
  await stop(server);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('opening the store waits for a Redis that answers LOADING, and then works (it failed with store_unavailable after 3-5 s)', async () => {
  // About 20 000 × 250 µs = 5 s of loading, answering clients in between (every KiB read).
  server = launch(['--key-load-delay', '250', '--loading-process-events-interval-bytes', '1024']);
  await waitFor(server, 'Loading RDB');
  const probe = new Redis({ port, host: '127.0.0.1', enableReadyCheck: false, lazyConnect: true });
  await probe.connect();
  const loading = await probe.get('x').then(() => 'answered', (e: Error) => e.message);
  probe.disconnect();
  expect(loading).toMatch(/^LOADING/);
  const t0 = performance.now();
  const store = await openRedisOnlineStore({ url: `redis://127.0.0.1:${port}`, key_prefix: 'fgloading:', project: 'p' });
  try {
    expect(performance.now() - t0).toBeGreaterThan(500);
    const admin = new Redis({ port, host: '127.0.0.1' });
    expect(await admin.dbsize()).toBeGreaterThanOrEqual(20_000);
    admin.disconnect();
    expect(await store.readMany('v', ['x'], [['e1']])).toEqual([undefined]);
  } finally {
    await store.close();
  }
}, 60_000);

it('a Redis still loading after the wait says so: retry once loaded, not "check that Redis is running"', () => {
  const e = storeUnavailable(Object.assign(new Error('LOADING Redis is loading the dataset in memory'), { name: 'ReplyError' }), 'redis://127.0.0.1:6379/0');
  expect(e).toMatchObject({ code: 'store_unavailable', status: 503, exitCode: 3 });
  expect((e as Error).message).toMatch(/retry once loaded/);
  expect((e as Error).message).not.toMatch(/check that Redis is running/);
});
