/** The Redis connection's helpers, against the tests' real Redis: which failures are outages, and claiming a key once. */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { failedOn, readOrClaim, storeUnavailable } from './redis-connection.js';

const url = () => `redis://127.0.0.1:${inject('redisPort')}`;

describe('storeUnavailable', () => {
  it('only connection failures become store_unavailable', () => {
    const reply = Object.assign(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'), { name: 'ReplyError' });
    expect(storeUnavailable(reply, 'x')).toBe(reply);
    const bug = new TypeError('x is undefined');
    expect(storeUnavailable(bug, 'x')).toBe(bug);
    expect(storeUnavailable(Object.assign(new Error('LOADING Redis is loading the dataset in memory'), { name: 'ReplyError' }), 'x')).toMatchObject({ code: 'store_unavailable' });
    expect(storeUnavailable(new Error('Connection is closed.'), 'x')).toMatchObject({ code: 'store_unavailable', status: 503 });
  });

  it("a cluster's slots moving is said so (retry), not 'check that Redis is running': MOVED, and an auto-pipeline split by moved slots", () => {
    const moved = Object.assign(new Error('MOVED 1936 127.0.0.1:26772'), { name: 'ReplyError' });
    const split = new Error('All keys in the pipeline should belong to the same slots allocation group');
    for (const e of [moved, split]) {
      expect(storeUnavailable(e, 'x')).toMatchObject({ code: 'store_unavailable', status: 503, message: expect.stringMatching(/\(the cluster's slots moved: a master restarted, a failover or resharding\); retry$/) });
    }
  });
});

describe("storeUnavailable of a failure on a named cluster node (/ready's probe of every master)", () => {
  it('is still an outage, the node named: CLUSTERDOWN, LOADING and a timeout (they read as internal_error on /ready)', () => {
    const node = '127.0.0.1:7001';
    const clusterDown = failedOn(Object.assign(new Error('CLUSTERDOWN The cluster is down'), { name: 'ReplyError' }), node);
    expect(storeUnavailable(clusterDown, 'cluster x')).toMatchObject({ code: 'store_unavailable', status: 503, message: expect.stringContaining(`is unavailable: ${node}: CLUSTERDOWN The cluster is down; check that Redis is running`) });
    const loading = failedOn(Object.assign(new Error('LOADING Redis is loading the dataset in memory'), { name: 'ReplyError' }), node);
    expect(storeUnavailable(loading, 'cluster x')).toMatchObject({ code: 'store_unavailable', message: expect.stringContaining(`${node}: LOADING`) });
    const timedOut = failedOn(new Error('Command timed out'), node);
    expect(storeUnavailable(timedOut, 'cluster x')).toMatchObject({ code: 'store_unavailable', message: expect.stringContaining(`is unavailable: ${node}: no answer within 2 s;`) });
    // The error itself is left as it was: ioredis and the classification read its message.
    expect((clusterDown as Error).message).toBe('CLUSTERDOWN The cluster is down');
    // A command error on a node stays the caller's.
    const wrongType = failedOn(Object.assign(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'), { name: 'ReplyError' }), node);
    expect(storeUnavailable(wrongType, 'cluster x')).toBe(wrongType);
  });
});

describe('readOrClaim', () => {
  it("claims a missing key once: concurrent claims all answer the value that was stored, and a later one does not make a value", async () => {
    const client = new Redis(url());
    const key = `fgtest:${randomUUID()}:{meta}:claimed`;
    try {
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => readOrClaim(client, key, () => `v${i}`, 'read-only')));
      const stored = await client.get(key);
      // One connection runs the claims' SETs in order: the first one's value stays, the others' find it.
      expect(stored).toBe('v0');
      expect(answers).toEqual(new Array(10).fill(stored));
      let made = 0;
      expect(await readOrClaim(client, key, () => `v${++made}`, 'read-only')).toBe(stored);
      expect(made).toBe(0);
    } finally {
      await client.del(key);
      client.disconnect();
    }
  });

  it('a Redis user that may not write answers the claimed value, or `readOnly` for a missing key, without writing', async () => {
    const admin = new Redis(url());
    const user = `reader_${randomUUID().slice(0, 8)}`;
    const [claimed, missing] = [`fgtest:${randomUUID()}:{meta}:claimed`, `fgtest:${randomUUID()}:{meta}:missing`];
    await admin.call('ACL', 'SETUSER', user, 'on', '>pw', '~*', '+@read', '+@connection');
    await admin.set(claimed, 'theirs');
    const reader = new Redis(`redis://${user}:pw@127.0.0.1:${inject('redisPort')}`);
    try {
      expect(await readOrClaim(reader, claimed, () => 'mine', 'read-only')).toBe('theirs');
      expect(await readOrClaim(reader, missing, () => 'mine', 'read-only')).toBe('read-only');
      expect(await admin.exists(missing)).toBe(0);
      // Any other failure is the caller's.
      await admin.rpush(missing, 'x');
      await expect(readOrClaim(admin, missing, () => 'mine', 'read-only')).rejects.toThrow(/WRONGTYPE/);
    } finally {
      reader.disconnect();
      await admin.call('ACL', 'DELUSER', user);
      await admin.del(claimed, missing);
      admin.disconnect();
    }
  });
});

describe('a Redis that refuses the connection', () => {
  it("lets the process exit as soon as the store is closed (ioredis's 2 s disconnect timer waited for a socket that had closed already)", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const dir = mkdtempSync(join(tmpdir(), 'fg-redis-refused-'));
    writeFileSync(join(dir, 'featureguard.yaml'), `project: refused\nonline_store:\n  type: redis\n  url: redis://127.0.0.1:${port}\n`);
    const sdk = fileURLToPath(new URL('../sdk/index.ts', import.meta.url));
    // The SDK as a script uses it: open the store, a call that needs Redis fails, close, then nothing left to do.
    const script = `
      const { openFeatureStore } = await import(${JSON.stringify(sdk)});
      const store = await openFeatureStore(${JSON.stringify(dir)});
      const t0 = performance.now();
      const code = await store.project.onlineStore().then(() => 'connected', (e) => e.code);
      const failedMs = performance.now() - t0;
      await store.close();
      const closed = performance.now();
      process.on('exit', () => console.log(JSON.stringify({ code, failedMs, exitMs: performance.now() - closed, active: process.getActiveResourcesInfo() })));
    `;
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      const exitCode = await new Promise((resolve) => child.on('exit', resolve));
      expect(exitCode).toBe(0);
      const r = JSON.parse(out) as { code: string; failedMs: number; exitMs: number };
      expect(r.code).toBe('store_unavailable');
      expect(r.failedMs).toBeLessThan(1_000);
      // Was about 2,000 ms (a Timeout left behind by the failed connect).
      expect(r.exitMs).toBeLessThan(500);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
