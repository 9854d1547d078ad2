import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, inject, it, vi } from 'vitest';
import { describeOnlineStoreConformance } from './conformance.case.js';
import { Redis, type Command } from 'ioredis';
import { clusterEpochKeys, slotOfTag } from './redis-cluster-slots.js';
import { openRedisOnlineStore } from './redis-store.js';
import { COMMIT_LUA } from './redis-scripts.js';
import { decodeValues } from './record-codec.js';
import { startRedisServer } from '../../test/setup/redis.js';
import { processHost } from '../state/process-host.js';
import type { OnlineStore } from './types.js';

/** The tests' Redis, and a key prefix no other test uses. */
const freshRedis = () => ({ url: `redis://127.0.0.1:${inject('redisPort')}`, key_prefix: `fgtest:${randomUUID()}:` });

/**
 * A store whose script command `name` (e.g. `fgSessions`, a write call reading the view's sessions) runs
 * `hook.once`, when set, after its reply and before the store goes on: to force an interleaving with another store.
 */
async function openHooked(options: Parameters<typeof openRedisOnlineStore>[0], name: string) {
  const hook: { once?: () => Promise<void> } = {};
  const proto = Redis.prototype as unknown as { defineCommand: (name: string, def: unknown) => void };
  const define = proto.defineCommand;
  proto.defineCommand = function (this: Record<string, (...args: unknown[]) => Promise<unknown>>, command: string, def: unknown) {
    define.call(this, command, def);
    if (command !== name) return;
    const client = this;
    const call = client[command];
    client[command] = async function (this: unknown, ...args: unknown[]) {
      if (this !== client) return call.apply(this, args); // the auto-pipeline's own copy
      const result = await call.apply(client, args);
      const once = hook.once;
      hook.once = undefined;
      await once?.();
      return result;
    };
  };
  try {
    return { store: await openRedisOnlineStore(options), hook };
  } finally {
    proto.defineCommand = define;
  }
}

/**
 * Run `before` when a store's read asks for a record (`HMGET`, written straight to a single node's connection), before
 * the command goes out: to force an interleaving between a reader's snapshot of the sessions and its record reads.
 * `keys` lists the entity keys asked for; `restore` ends the hook.
 */
function beforeRecordReads(before: (key: string) => Promise<void> | void): { keys: string[]; restore(): void } {
  const proto = Redis.prototype as unknown as { sendCommand: (command: Command, stream?: unknown) => unknown };
  const original = proto.sendCommand;
  const keys: string[] = [];
  proto.sendCommand = function (this: Redis, command: Command, stream?: unknown) {
    if (command.name !== 'hmget' || stream !== undefined) return original.call(this, command, stream);
    const key = String(command.args[0]);
    keys.push(key);
    return Promise.resolve(before(key)).then(() => original.call(this, command));
  };
  return { keys, restore: () => void (proto.sendCommand = original) };
}

/** A store on a fresh key prefix and a plain client of the same Redis, for `fn`; both closed after it. */
async function withStoreAndClient(fn: (t: { store: Awaited<ReturnType<typeof openRedisOnlineStore>>; r: Redis; key_prefix: string }) => Promise<void>): Promise<void> {
  const { url, key_prefix } = freshRedis();
  const store = await openRedisOnlineStore({ url, key_prefix });
  const r = new Redis(url);
  try {
    await fn({ store, r, key_prefix });
  } finally {
    r.disconnect();
    await store.close();
  }
}

describeOnlineStoreConformance('redis standalone', () => {
  const key_prefix = `fgtest:${randomUUID()}:`;
  return () => openRedisOnlineStore({ url: `redis://127.0.0.1:${inject('redisPort')}`, key_prefix });
});

describeOnlineStoreConformance('redis cluster', () => {
  const key_prefix = `fgtest:${randomUUID()}:`;
  return () => openRedisOnlineStore({ cluster: inject('redisClusterPorts').map((p) => `127.0.0.1:${p}`), key_prefix });
});

describe('redis store: a crashed write session', () => {
  it('stays invisible, and once its lease expires the same rows can be written again', async () => {
    const { url, key_prefix } = freshRedis();
    const crashed = await openRedisOnlineStore({ url, key_prefix, session_lease_ms: 300 });
    await crashed.writeBatch('v', ['x'], [{ key: ['a'], values: ['before'], eventTs: 1, createdTs: 0 }]);
    const w = await crashed.beginWrite('v', ['x']);
    await w.write([
      { key: ['a'], values: ['crashed'], eventTs: 2, createdTs: 0 },
      { key: ['b'], values: ['crashed'], eventTs: 2, createdTs: 0 },
    ]);
    await crashed.close(); // the process "dies": no commit, no abort, no heartbeat

    const store = await openRedisOnlineStore({ url, key_prefix, session_lease_ms: 300 });
    try {
      const read = async () => (await store.readMany('v', ['x'], [['a'], ['b']])).map((r) => r?.values[0]);
      expect(await read()).toEqual(['before', undefined]);
      await new Promise((r) => setTimeout(r, 400));
      expect(await read()).toEqual(['before', undefined]);
      expect(await store.writeBatch('v', ['x'], [{ key: ['a'], values: ['rerun'], eventTs: 2, createdTs: 0 }, { key: ['b'], values: ['rerun'], eventTs: 2, createdTs: 0 }])).toEqual({
        written: 2,
        skipped: 0,
      });
      expect(await read()).toEqual(['rerun', 'rerun']);
      expect((await store.stats()).views.v).toEqual({ entities: 2 });
    } finally {
      await store.close();
    }
  });
});

describe('redis store: a read-only Redis user', () => {
  it('serves reads with read commands only (no scripts)', async () => {
    const { url, key_prefix } = freshRedis();
    const user = `reader_${randomUUID().slice(0, 8)}`;
    const admin = new Redis(url);
    const writer = await openRedisOnlineStore({ url, key_prefix });
    try {
      await writer.writeBatch('v', ['x'], [{ key: ['a'], values: [1.5], eventTs: 1, createdTs: 0 }]);
      await writer.writeBatch('w', ['y'], [{ key: ['a'], values: [2.5], eventTs: 1, createdTs: 0 }]);
      await admin.call('ACL', 'SETUSER', user, 'on', '>pw', '~*', '+@read', '+@connection', '+info');
      const reader = await openRedisOnlineStore({ url: `redis://${user}:pw@127.0.0.1:${inject('redisPort')}`, key_prefix });
      try {
        expect((await reader.readMany('v', ['x'], [['a']]))[0]?.values).toEqual([1.5]);
        const views = await reader.readManyEncodedViews([{ view: 'v', features: ['x'], keys: [['a']] }, { view: 'w', features: ['y'], keys: [['a']] }]);
        expect(views.map(([e]) => e && decodeValues(e.encoded))).toEqual([[1.5], [2.5]]);
      } finally {
        await reader.close();
      }
    } finally {
      await admin.call('ACL', 'DELUSER', user);
      admin.disconnect();
      await writer.close();
    }
  });
});

describe('redis store: the epoch through a read-only Redis user', () => {
  it("is the writers' epoch, asked with read commands only; with no epoch made yet, one no window was written in", async () => {
    const { url, key_prefix } = freshRedis();
    const user = `reader_${randomUUID().slice(0, 8)}`;
    const admin = new Redis(url);
    await admin.call('ACL', 'SETUSER', user, 'on', '>pw', '~*', '+@read', '+@connection', '+info');
    const reader = await openRedisOnlineStore({ url: `redis://${user}:pw@127.0.0.1:${inject('redisPort')}`, key_prefix });
    const writer = await openRedisOnlineStore({ url, key_prefix });
    try {
      // Nothing made the epoch yet: no value any writer's window was recorded under, and no error.
      const none = await reader.epoch();
      expect(await reader.epoch()).toBe(none);
      const made = await writer.epoch();
      expect(made).not.toBe(none);
      // The scrapes of a read-only server (the freshness gauge) read the writers' epoch.
      expect(await reader.epoch()).toBe(made);
      expect(await writer.epoch()).toBe(made);
    } finally {
      await admin.call('ACL', 'DELUSER', user);
      admin.disconnect();
      await reader.close();
      await writer.close();
    }
  });
});

describe('redis store: a writing Redis user', () => {
  it('writes with the documented ACL (+@read +@write +@scripting +time); without TIME the error names the permission', async () => {
    const { url, key_prefix } = freshRedis();
    const admin = new Redis(url);
    const users = [`writer_${randomUUID().slice(0, 8)}`, `notime_${randomUUID().slice(0, 8)}`];
    const base = ['on', '>pw', '~*', '+@read', '+@write', '+@scripting', '+@connection', '+info'];
    const open = (user: string) => openRedisOnlineStore({ url: `redis://${user}:pw@127.0.0.1:${inject('redisPort')}`, key_prefix });
    const row = [{ key: ['a'], values: [1.5], eventTs: 1, createdTs: 0 }];
    try {
      await admin.call('ACL', 'SETUSER', users[0], ...base, '+time');
      await admin.call('ACL', 'SETUSER', users[1], ...base, '-time');
      const writer = await open(users[0]);
      try {
        expect(await writer.writeBatch('v', ['x'], row)).toEqual({ written: 1, skipped: 0 });
      } finally {
        await writer.close();
      }
      const denied = await open(users[1]);
      try {
        await expect(denied.writeBatch('v', ['x'], row)).rejects.toMatchObject({ code: 'online_store_permission', message: expect.stringMatching(/\+time/) });
      } finally {
        await denied.close();
      }
    } finally {
      for (const u of users) await admin.call('ACL', 'DELUSER', u);
      admin.disconnect();
    }
  });
});

describe('redis store: a write session whose process was killed', () => {
  it('is dead as soon as a later session of this host begins: a retry of the same rows is written, not skipped for 60 s', async () => {
    const { url, key_prefix } = freshRedis();
    const dir = mkdtempSync(join(tmpdir(), 'fg-killed-push-'));
    const store = await openRedisOnlineStore({ url, key_prefix });
    try {
      const rows = [{ key: ['a'], values: ['pushed'], eventTs: 2, createdTs: 0 }, { key: ['b'], values: ['pushed'], eventTs: 2, createdTs: 0 }];
      await store.writeBatch('v', ['x'], [{ key: ['a'], values: ['before'], eventTs: 1, createdTs: 0 }]);
      // Another process writes the rows and is killed (SIGKILL) before its commit: no abort, no lease expiry yet.
      const child = join(dir, 'child.mts');
      writeFileSync(child, `import { openRedisOnlineStore } from ${JSON.stringify(join(import.meta.dirname, 'redis-store.ts'))};
const store = await openRedisOnlineStore({ url: ${JSON.stringify(url)}, key_prefix: ${JSON.stringify(key_prefix)} });
const w = await store.beginWrite('v', ['x']);
await w.write(${JSON.stringify(rows)});
process.kill(process.pid, 'SIGKILL');
`);
      const killed = spawnSync(process.execPath, ['--import', 'tsx', child], { encoding: 'utf8' });
      expect([killed.signal, killed.stderr]).toEqual(['SIGKILL', '']);
      const read = async () => (await store.readMany('v', ['x'], [['a'], ['b']])).map((r) => r?.values[0]);
      expect(await read()).toEqual(['before', undefined]);
      // The client retries the push: written at once.
      expect(await store.writeBatch('v', ['x'], rows)).toEqual({ written: 2, skipped: 0 });
      expect(await read()).toEqual(['pushed', 'pushed']);
      // The killed session's owner is forgotten once it is dead (no entry kept per push).
      const r = new Redis(url);
      try {
        expect(await r.hlen(`${key_prefix}{meta}:owners:v`)).toBe(0);
      } finally {
        r.disconnect();
      }
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('redis store: the reads of one turn of the event loop', () => {
  it('share one snapshot of the sessions per view; a read of a later turn takes its own (and sees a commit made since)', async () => {
    const { url, key_prefix } = freshRedis();
    const store = await openRedisOnlineStore({ url, key_prefix });
    const m = await new Redis(url).monitor();
    let snapshots = 0;
    m.on('monitor', (_time: string, args: string[]) => {
      if (args[0].toLowerCase() === 'get' && args[1] === `${key_prefix}{meta}:gen:v`) snapshots++;
    });
    const settle = () => new Promise((r) => setTimeout(r, 50)); // the MONITOR feed catches up
    const read = async () => (await store.readMany('v', ['x'], [['a']]))[0]?.values[0];
    try {
      await store.writeBatch('v', ['x'], [{ key: ['a'], values: [1], eventTs: 1, createdTs: 0 }]);
      await settle();
      snapshots = 0; // a write reads the counter too
      expect(await Promise.all(Array.from({ length: 20 }, read))).toEqual(new Array(20).fill(1));
      await settle();
      expect(snapshots).toBe(1);
      expect(await read()).toBe(1);
      await settle();
      expect(snapshots).toBe(2);
      // A read begun before a commit and one after it.
      const w = await store.beginWrite('v', ['x']);
      await w.write([{ key: ['a'], values: [2], eventTs: 2, createdTs: 0 }]);
      const [before, after] = await Promise.all([read(), w.commit().then(read)]);
      expect([before, after]).toEqual([1, 2]);
    } finally {
      m.disconnect();
      await store.close();
    }
  });

  it("leaves alone a session of another machine that shares this one's host name and pid namespace (its own boot)", async () => {
    const { url, key_prefix } = freshRedis();
    const elsewhere = await openRedisOnlineStore({ url, key_prefix });
    const store = await openRedisOnlineStore({ url, key_prefix });
    const r = new Redis(url);
    try {
      const rows = [{ key: ['a'], values: ['theirs'], eventTs: 2, createdTs: 0 }];
      const w = await elsewhere.beginWrite('v', ['x']);
      await w.write(rows);
      // Its writer as another machine named like this one (the initial pid namespace has one number on every
      // Linux machine) records it, with a pid that does not exist here; and one recorded without a boot id.
      const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;
      const owners = `${key_prefix}{meta}:owners:v`;
      const [gen] = await r.hkeys(owners);
      await r.hset(owners, gen, `${processHost()}/boot:another-machine#${deadPid}`);
      expect(await store.writeBatch('v', ['x'], rows)).toEqual({ written: 0, skipped: 1 });
      await r.hset(owners, gen, `${processHost()}#${deadPid}`);
      expect(await store.writeBatch('v', ['x'], rows)).toEqual({ written: 0, skipped: 1 });
      // Still alive: it commits.
      await w.commit();
      expect((await store.readMany('v', ['x'], [['a']]))[0]?.values).toEqual(['theirs']);
    } finally {
      r.disconnect();
      await elsewhere.close();
      await store.close();
    }
  });
});

describe('redis store: a session that begins while another is writing the same entity, then aborts', () => {
  it('is never shown: not while the other is pending, nor after the other aborts too', async () => {
    // T2 reads the view's sessions for a write; T1 begins after that, writes entity a and then aborts; T2's
    // write of a lands over T1's record. T2 cannot know whether T1 committed: T1's value must not become the
    // value kept under T2's (shown while T2 is pending, and put back if T2 aborts).
    const { url, key_prefix } = freshRedis();
    const { store: a, hook } = await openHooked({ url, key_prefix }, 'fgSessions');
    const b = await openRedisOnlineStore({ url, key_prefix });
    const row = (value: string, eventTs: number) => [{ key: ['a'], values: [value], eventTs, createdTs: 0 }];
    try {
      await a.writeBatch('v', ['x'], row('v0', 1));
      const t2 = await a.beginWrite('v', ['x']);
      let t1: Awaited<ReturnType<typeof b.beginWrite>> | undefined;
      hook.once = async () => {
        // T2's write has read the sessions: T1 begins and writes now
        t1 = await b.beginWrite('v', ['x']);
        await t1.write(row('t1', 2));
      };
      await t2.write(row('t2', 3));
      await t1!.abort();
      const read = async () => (await b.readMany('v', ['x'], [['a']]))[0]?.values[0];
      expect(await read()).toBe('v0');
      await t2.abort();
      expect(await read()).toBe('v0');
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('redis store: sessions that begin while a write call is under way', () => {
  it('one that begins, writes and commits between the call reading the sessions and writing: shown whole, and kept if the caller aborts', async () => {
    const { url, key_prefix } = freshRedis();
    const { store: a, hook } = await openHooked({ url, key_prefix }, 'fgSessions');
    const b = await openRedisOnlineStore({ url, key_prefix });
    const row = (k: string, value: string, eventTs: number) => ({ key: [k], values: [value], eventTs, createdTs: 0 });
    const read = async () => (await b.readMany('v', ['x'], [['k1'], ['k2'], ['j']])).map((r) => r?.values[0]);
    try {
      await a.writeBatch('v', ['x'], [row('k1', 'old', 1)]);
      const t2 = await a.beginWrite('v', ['x']);
      // T2's write call has read the sessions: T1 begins, writes and commits now.
      hook.once = async () => void (await b.writeBatch('v', ['x'], [row('k1', 't1', 2), row('k2', 't1', 2), row('j', 't1', 2)]));
      expect(await t2.write([row('k1', 't2', 3), row('k2', 't2', 3)])).toEqual({ written: 2, skipped: 0 });
      expect(await read()).toEqual(['t1', 't1', 't1']);
      await t2.abort();
      expect(await read()).toEqual(['t1', 't1', 't1']);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a session whose lease ran out is marked dead before a write goes over it: it cannot commit afterwards (a paused process)', async () => {
    const { url, key_prefix } = freshRedis();
    const dir = mkdtempSync(join(tmpdir(), 'fg-paused-'));
    const store = await openRedisOnlineStore({ url, key_prefix });
    let child: ReturnType<typeof spawn> | undefined;
    const row = (k: string, value: string, eventTs: number) => ({ key: [k], values: [value], eventTs, createdTs: 0 });
    try {
      await store.writeBatch('v', ['x'], [row('k', 'old', 1), row('j', 'old', 1)]);
      // Another process writes k and j, then is paused (SIGSTOP) before its commit.
      const script = join(dir, 'child.mts');
      writeFileSync(script, `import { createInterface } from 'node:readline';
import { openRedisOnlineStore } from ${JSON.stringify(join(import.meta.dirname, 'redis-store.ts'))};
const store = await openRedisOnlineStore({ url: ${JSON.stringify(url)}, key_prefix: ${JSON.stringify(key_prefix)} });
const w = await store.beginWrite('v', ['x']);
await w.write(${JSON.stringify([row('k', 'x', 10), row('j', 'x', 10)])});
console.log('WROTE');
for await (const line of createInterface({ input: process.stdin })) {
  console.log(await w.commit().then(() => 'COMMITTED', (e) => e.code));
  break;
}
await store.close();
`);
      child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'inherit'] });
      const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
      expect((await lines.next()).value).toBe('WROTE');
      child.kill('SIGSTOP');
      // Its lease runs out (the expiry put in the past); a push of an older row goes over it.
      const r = new Redis(url);
      await r.hset(`${key_prefix}{meta}:pending:v`, (await r.hkeys(`${key_prefix}{meta}:pending:v`))[0], '1');
      r.disconnect();
      expect(await store.writeBatch('v', ['x'], [row('k', 'push', 5)])).toEqual({ written: 1, skipped: 0 });
      // The process resumes: its commit is refused, so it is shown nowhere, not in j only.
      child.kill('SIGCONT');
      child.stdin!.end('commit\n');
      expect((await lines.next()).value).toBe('session_taken_over');
      await new Promise((resolve) => child!.once('exit', resolve));
      expect((await store.readMany('v', ['x'], [['k'], ['j']])).map((v) => v?.values[0])).toEqual(['push', 'old']);
    } finally {
      if (child?.exitCode === null) child.kill('SIGKILL');
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never marks dead a session of its own process, whose lease ran out while its event loop was stalled', async () => {
    const { url, key_prefix } = freshRedis();
    const stalled = await openRedisOnlineStore({ url, key_prefix });
    const store = await openRedisOnlineStore({ url, key_prefix });
    const row = (k: string, value: string, eventTs: number) => ({ key: [k], values: [value], eventTs, createdTs: 0 });
    try {
      const x = await stalled.beginWrite('v', ['x']);
      await x.write([row('k', 'x', 10)]);
      const r = new Redis(url);
      await r.hset(`${key_prefix}{meta}:pending:v`, (await r.hkeys(`${key_prefix}{meta}:pending:v`))[0], '1');
      r.disconnect();
      expect(await store.writeBatch('v', ['x'], [row('k', 'push', 5)])).toEqual({ written: 0, skipped: 1 });
      await x.commit();
      expect((await store.readMany('v', ['x'], [['k']]))[0]?.values).toEqual(['x']);
    } finally {
      await stalled.close();
      await store.close();
    }
  });

  it('refuses to write when the gen counter went back (evicted, a failover that lost its last increments), saying what to do', () =>
    withStoreAndClient(async ({ store, r, key_prefix }) => {
      const row = (k: string, value: string, eventTs: number) => ({ key: [k], values: [value], eventTs, createdTs: 0 });
      for (let i = 1; i <= 6; i++) await store.writeBatch('v', ['x'], [row(`k${i}`, `v${i}`, i)]);
      await r.del(`${key_prefix}{meta}:gen:v`);
      // New sessions would draw the gens of existing records (and an abort of one would delete a committed entity).
      await expect(store.writeBatch('v', ['x'], [row('k3', 'new', 9)])).rejects.toMatchObject({
        code: 'online_store_inconsistent', status: 503, message: expect.stringMatching(/session counter is at .*maxmemory-policy noeviction.*run `featureguard online drop [a-z_]+ --yes`.*featureguard materialize --incremental/),
      });
      // Nothing was written over the records.
      expect(await r.hget(`${key_prefix}{["k3"]}:v`, 'c')).toMatch(/\["v3"\]$/);
    }));

  it('fails a session whose keys Redis lost while it wrote (a restart without persistence): nothing of it shown, a retry writes every row', async () => {
    const { url, key_prefix } = freshRedis();
    const r = new Redis(url);
    /** What a restart of a Redis without persistence does to this test's keys. */
    const loseEverything = async () => {
      const keys = await r.keys(`${key_prefix}*`);
      if (keys.length) await r.del(...keys);
    };
    const { store, hook } = await openHooked({ url, key_prefix }, 'fgSessions');
    const row = (k: string, value: string) => ({ key: [k], values: [value], eventTs: 5, createdTs: 0 });
    const reader = await openRedisOnlineStore({ url, key_prefix });
    const read = async () => (await reader.readMany('v', ['x'], [['a'], ['b'], ['c']])).map((x) => x?.values[0]);
    try {
      // Lost between two write calls: the second call fails before it writes.
      for (let i = 0; i < 3; i++) await store.writeBatch('v', ['x'], [row('z', `z${i}`)]).catch(() => undefined); // gens 1-3 drawn
      const w1 = await store.beginWrite('v', ['x']);
      await w1.write([row('a', 'lost')]);
      await loseEverything();
      await expect(w1.write([row('b', 'lost')])).rejects.toMatchObject({ code: 'online_store_reset', status: 503 });
      await w1.abort();
      // Lost after the call read the sessions and before it wrote: its records land in the emptied Redis, and its
      // commit is refused.
      const w2 = await store.beginWrite('v', ['x']);
      hook.once = loseEverything;
      expect(await w2.write([row('a', 'lost'), row('b', 'lost')])).toEqual({ written: 2, skipped: 0 });
      await expect(w2.commit()).rejects.toMatchObject({ code: 'online_store_reset', message: expect.stringMatching(/restarted without persistence.*written again by the next --incremental run/) });
      expect(await read()).toEqual([undefined, undefined, undefined]);
      // Its gen is dead and the counter is past it: the retry draws a greater gen and writes over its records.
      const gen = Number(await r.get(`${key_prefix}{meta}:gen:v`));
      expect(gen).toBeGreaterThanOrEqual(5);
      expect(Object.values(await r.hgetall(`${key_prefix}{meta}:pending:v`))).toEqual(['0']);
      expect(await store.writeBatch('v', ['x'], [row('a', 'retry'), row('b', 'retry'), row('c', 'retry')])).toEqual({ written: 3, skipped: 0 });
      expect(await read()).toEqual(['retry', 'retry', 'retry']);
    } finally {
      r.disconnect();
      await reader.close();
      await store.close();
    }
  });

  it('a commit sent again after a reconnect (ioredis resends what got no reply) finds the session committed, not lost', () =>
    withStoreAndClient(async ({ store, r, key_prefix }) => {
      await store.writeBatch('v', ['x'], [{ key: ['a'], values: ['v1'], eventTs: 1, createdTs: 0 }]);
      const rec = (await r.hget(`${key_prefix}{["a"]}:v`, 'c'))!;
      const session = rec.slice(0, rec.indexOf('|'));
      // The same commit again, as a resend would run it: committed (1), nothing marked dead.
      expect(await r.eval(COMMIT_LUA, 2, `${key_prefix}{meta}:pending:v`, `${key_prefix}{meta}:gen:v`, session)).toBe(1);
      expect(await r.hgetall(`${key_prefix}{meta}:pending:v`)).toEqual({});
      expect((await store.readMany('v', ['x'], [['a']]))[0]?.values).toEqual(['v1']);
    }));

  it('refuses to read when the gen counter went back, as writes do, instead of answering "not found" for the newest values', () =>
    withStoreAndClient(async ({ store, r, key_prefix }) => {
      const row = (k: string, value: string, eventTs: number) => ({ key: [k], values: [value], eventTs, createdTs: 0 });
      for (let i = 1; i <= 6; i++) await store.writeBatch('v', ['x'], [row(`k${i}`, `v${i}`, i)]);
      const read = (...ks: string[]) => store.readMany('v', ['x'], ks.map((k) => [k]));
      const inconsistent = { code: 'online_store_inconsistent', status: 503, message: expect.stringMatching(/session counter is at .*featureguard online drop [a-z_]+ --yes/) };
      // Gone: every entity of the view read as missing.
      await r.del(`${key_prefix}{meta}:gen:v`);
      await expect(read('k1', 'k6')).rejects.toMatchObject({ ...inconsistent, details: { view: 'v', record_gen: 6, counter: '0' } });
      // Behind (its last increments lost): the newest values hidden, older ones served as current.
      await r.set(`${key_prefix}{meta}:gen:v`, '3');
      await expect(read('k5')).rejects.toMatchObject(inconsistent);
      // Entities written before the counter's value still read.
      expect((await read('k1', 'k3')).map((x) => x?.values[0])).toEqual(['v1', 'v3']);
      await r.set(`${key_prefix}{meta}:gen:v`, '6');
      expect((await read('k1', 'k6')).map((x) => x?.values[0])).toEqual(['v1', 'v6']);
    }));

  it("never takes another session's records for its own, even when a lost counter makes it draw an old gen", () =>
    withStoreAndClient(async ({ store, r, key_prefix }) => {
      const row = (k: string, value: string, eventTs: number) => ({ key: [k], values: [value], eventTs, createdTs: 0 });
      for (let i = 1; i <= 4; i++) await store.writeBatch('v', ['x'], [row(`k${i}`, `v${i}`, 10)]);
      await r.del(`${key_prefix}{meta}:gen:v`); // a new session draws gen 1 again: that of k1's committed record
      const x = await store.beginWrite('v', ['x']);
      expect(await x.write([row('k1', 'older', 5)])).toEqual({ written: 0, skipped: 1 });
      await x.abort();
      // The abort's rollback left k1 alone: it was never this session's.
      expect(await r.hget(`${key_prefix}{["k1"]}:v`, 'c')).toMatch(/\["v1"\]$/);
    }));

  it('a session marked dead during its write call writes no further round of it', async () => {
    const { url, key_prefix } = freshRedis();
    const { store: a, hook } = await openHooked({ url, key_prefix }, 'fgSessions');
    const b = await openRedisOnlineStore({ url, key_prefix });
    const row = (k: string, value: string, eventTs: number) => ({ key: [k], values: [value], eventTs, createdTs: 0 });
    try {
      await b.writeBatch('v', ['x'], [row('k', 'old', 1)]);
      const stale = await a.beginWrite('v', ['x']);
      let fresh: Awaited<ReturnType<typeof b.beginWrite>> | undefined;
      // After A's write call read the sessions: B begins and writes k (A must read them again for k), and A is
      // marked dead meanwhile (taken over).
      hook.once = async () => {
        fresh = await b.beginWrite('v', ['x']);
        await fresh.write([row('k', 'b', 3)]);
        const r = new Redis(url);
        const pending = `${key_prefix}{meta}:pending:v`;
        const ids = await r.hkeys(pending);
        await r.hset(pending, ids.sort((p, q) => Number.parseInt(p, 10) - Number.parseInt(q, 10))[0], '0');
        r.disconnect();
      };
      await expect(stale.write([row('k', 'a', 5)])).rejects.toMatchObject({ code: 'session_taken_over' });
      await fresh!.commit();
      expect((await b.readMany('v', ['x'], [['k']]))[0]?.values).toEqual(['b']);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("judges leases by the Redis server's clock: a writer whose clock runs minutes ahead does not kill a live session", async () => {
    const { url, key_prefix } = freshRedis();
    const live = await openRedisOnlineStore({ url, key_prefix });
    const ahead = await openRedisOnlineStore({ url, key_prefix });
    const row = (k: string, value: string, eventTs: number) => ({ key: [k], values: [value], eventTs, createdTs: 0 });
    try {
      const x = await live.beginWrite('v', ['x']);
      await x.write([row('k', 'x', 10)]);
      const realNow = Date.now();
      const clock = vi.spyOn(Date, 'now').mockReturnValue(realNow + 120_000);
      try {
        expect(await ahead.writeBatch('v', ['x'], [row('k', 'push', 5)])).toEqual({ written: 0, skipped: 1 });
      } finally {
        clock.mockRestore();
      }
      await x.commit();
      expect((await ahead.readMany('v', ['x'], [['k']]))[0]?.values).toEqual(['x']);
    } finally {
      await live.close();
      await ahead.close();
    }
  });

  it('a write call that fails waits for its other calls before it reports: an abort then cannot race a write still in flight', async () => {
    const { url, key_prefix } = freshRedis();
    const row = (k: string, value: string, eventTs: number) => ({ key: [k], values: [value], eventTs, createdTs: 0 });
    const keys = Array.from({ length: 129 }, (_, i) => `k${i}`); // two script calls, of 128 keys and of 1
    // The store's write script, wrapped as it is defined: once armed, the first call fails at once (a node
    // down), the second lands 300 ms later (a command resent after a failover).
    const proto = Redis.prototype as unknown as { defineCommand: (name: string, def: unknown) => void };
    const define = proto.defineCommand;
    let armed = false;
    let n = 0;
    proto.defineCommand = function (this: Record<string, (...args: unknown[]) => Promise<unknown>>, name: string, def: unknown) {
      define.call(this, name, def);
      if (name !== 'fgWrite') return;
      const client = this;
      const write = client[name];
      client[name] = function (this: unknown, ...args: unknown[]) {
        if (this !== client) return write.apply(this, args); // the auto-pipeline's own copy
        n += armed ? 1 : 0;
        if (armed && n === 1) return Promise.reject(new Error('CLUSTERDOWN simulated'));
        if (armed && n === 2) return new Promise((resolve, reject) => setTimeout(() => write.apply(client, args).then(resolve, reject), 300));
        return write.apply(client, args);
      };
    };
    const store = await openRedisOnlineStore({ url, key_prefix });
    proto.defineCommand = define;
    try {
      await store.writeBatch('v', ['x'], keys.map((k) => row(k, 'old', 1)));
      armed = true;
      await expect(store.writeBatch('v', ['x'], keys.map((k) => row(k, 'aborted', 5)))).rejects.toThrow(/CLUSTERDOWN simulated/);
      armed = false;
      await new Promise((r) => setTimeout(r, 400));
      expect((await store.readMany('v', ['x'], [['k0'], ['k128']])).map((v) => v?.values[0])).toEqual(['old', 'old']);
    } finally {
      proto.defineCommand = define;
      await store.close();
    }
  });
});

describe('redis store: a read of several views (readManyEncodedViews)', () => {
  it('is one round trip on one node: one MGET of the counters, an HKEYS per view, an HMGET per key, all in one batch', async () => {
    // A server of its own: its count of socket reads is this test's alone.
    const redis = await startRedisServer();
    const url = `redis://127.0.0.1:${redis.port}`;
    const store = await openRedisOnlineStore({ url, key_prefix: 'rt:' });
    const r = new Redis(url);
    const m = await new Redis(url).monitor();
    const commands: string[] = [];
    m.on('monitor', (_time: string, args: string[]) => {
      if (args[1]?.startsWith('rt:')) commands.push(args[0].toLowerCase());
    });
    const settle = () => new Promise((res) => setTimeout(res, 50)); // the MONITOR feed catches up; a new turn of the event loop
    const reads = async () => Number(/total_reads_processed:(\d+)/.exec(await r.info('stats'))![1]);
    try {
      const views = ['v0', 'v1', 'v2'];
      const requests = views.map((view) => ({ view, features: ['x'], keys: [['a'], ['b']] }));
      for (const view of views) await store.writeBatch(view, ['x'], [{ key: ['a'], values: [view], eventTs: 1, createdTs: 0 }]);
      await store.readManyEncodedViews(requests); // the first read of a feature list also asks for it (HGET), once
      await settle();
      commands.length = 0;
      const before = await reads();
      const got = await store.readManyEncodedViews(requests);
      // The INFO asking counts one read of its own.
      expect((await reads()) - before).toBe(2);
      expect(got.map((rows) => rows.map((e) => e && decodeValues(e.encoded)[0]))).toEqual([['v0', undefined], ['v1', undefined], ['v2', undefined]]);
      await settle();
      expect(commands.sort()).toEqual(['hkeys', 'hkeys', 'hkeys', ...new Array(6).fill('hmget'), 'mget']);
    } finally {
      m.disconnect();
      r.disconnect();
      await store.close();
      await redis.stop();
    }
  });

  it('reads again only the views whose snapshot is older than their records, each view as of one snapshot', async () => {
    // As 'never answers "not found"…' below, for view v of a read of v and w: sessions begin, write and commit
    // in v between the reader's snapshot and its record reads; w is read once.
    const { url, key_prefix } = freshRedis();
    const reader = await openRedisOnlineStore({ url, key_prefix });
    const writer = await openRedisOnlineStore({ url, key_prefix });
    const rows = (value: string, eventTs: number, keys = ['a', 'b']) => keys.map((k) => ({ key: [k], values: [value], eventTs, createdTs: 0 }));
    let t2: Awaited<ReturnType<typeof writer.beginWrite>> | undefined;
    let hook: ReturnType<typeof beforeRecordReads> | undefined;
    try {
      await writer.writeBatch('v', ['x'], rows('old', 1));
      await writer.writeBatch('w', ['x'], rows('w', 1));
      let first = true;
      hook = beforeRecordReads(async () => {
        if (first) {
          first = false;
          await writer.writeBatch('v', ['x'], rows('t1', 2));
          t2 = await writer.beginWrite('v', ['x']);
          await t2.write(rows('t2', 3, ['a']));
        }
      });
      const got = await reader.readManyEncodedViews(['v', 'w'].map((view) => ({ view, features: ['x'], keys: [['a'], ['b']] })));
      hook.restore();
      const values = got.map((r) => r.map((e) => e && decodeValues(e.encoded)[0]));
      expect([['old', 'old'], ['t1', 't1']]).toContainEqual(values[0]);
      expect(values[1]).toEqual(['w', 'w']);
      // v's keys twice (read again), w's once.
      expect(hook.keys.filter((k) => k.endsWith(':v'))).toHaveLength(4);
      expect(hook.keys.filter((k) => k.endsWith(':w'))).toHaveLength(2);
    } finally {
      hook?.restore();
      await t2?.abort();
      await reader.close();
      await writer.close();
    }
  });
});

describe('redis store: a reader racing a session that begins', () => {
  it('hides a record of a session begun after its snapshot of the sessions, even one not pending yet', () =>
    withStoreAndClient(async ({ store, r, key_prefix }) => {
      await store.writeBatch('v', ['x'], [{ key: ['a'], values: ['committed'], eventTs: 1, createdTs: 0 }]);
      // As a cluster node can show it: a later session's record reached the entity, its gen drawn after the
      // reader's snapshot (one above the counter then), its entry in the pending hash not seen. Drawn and written
      // once the reader's snapshot is in, before its record read (the counter is never below a record's gen).
      const key = `${key_prefix}{["a"]}:v`;
      const committed = (await r.hget(key, 'c'))!;
      const hook = beforeRecordReads(async () => {
        hook.restore();
        await new Promise((res) => setTimeout(res, 50));
        const gen = await r.incr(`${key_prefix}{meta}:gen:v`);
        await r.hset(key, 'p', committed, 'c', committed.replace(/^[^|]+\|1\|/, `${gen}|2|`).replace('committed', 'uncommitted'));
      });
      try {
        expect((await store.readMany('v', ['x'], [['a']]))[0]?.values).toEqual(['committed']);
        expect(hook.keys).toEqual([key]);
      } finally {
        hook.restore();
      }
    }));
});

describe('redis store: a reader whose snapshot of the sessions is older than the records it reads', () => {
  it('never answers "not found" for an entity that has a value: it reads again with a fresh snapshot', async () => {
    // Between the reader's snapshot and its record reads (a cluster's second round trip, a pause of the
    // reader's process), session T1 begins, writes the entity and commits, and T2 begins and writes it: the
    // record holds T2's value with T1's as the previous one, both drawn after the snapshot. Made
    // deterministic by running T1 and T2 (another store, as another process would) when the reader asks
    // for its records the first time.
    const { url, key_prefix } = freshRedis();
    const reader = await openRedisOnlineStore({ url, key_prefix });
    const writer = await openRedisOnlineStore({ url, key_prefix });
    const row = (value: string, eventTs: number, keys = ['a', 'b']) => keys.map((k) => ({ key: [k], values: [value], eventTs, createdTs: 0 }));
    let t2: Awaited<ReturnType<typeof writer.beginWrite>> | undefined;
    let hook: ReturnType<typeof beforeRecordReads> | undefined;
    try {
      await writer.writeBatch('v', ['x'], row('old', 1));
      let first = true;
      hook = beforeRecordReads(async () => {
        if (first) {
          first = false;
          await writer.writeBatch('v', ['x'], row('t1', 2));
          t2 = await writer.beginWrite('v', ['x']);
          await t2.write(row('t2', 3, ['a']));
        }
      });
      // b's record is read at once (before T1), a's after T1 and T2.
      const got = await reader.readMany('v', ['x'], [['a'], ['b']]);
      hook.restore();
      // Both 'old' (as of the snapshot) or both 't1' (committed since; T2 is pending), never T1 in one only.
      expect([['old', 'old'], ['t1', 't1']]).toContainEqual(got.map((g) => g?.values[0]));
      // Read again with a fresh snapshot: the entities twice.
      expect(hook.keys).toHaveLength(4);
    } finally {
      hook?.restore();
      await t2?.abort();
      await reader.close();
      await writer.close();
    }
  });

  it('also when both sessions began before the snapshot: one commits, then the other writes the entity over it', async () => {
    const { url, key_prefix } = freshRedis();
    const reader = await openRedisOnlineStore({ url, key_prefix });
    const writer = await openRedisOnlineStore({ url, key_prefix });
    const row = (value: string, eventTs: number) => [{ key: ['a'], values: [value], eventTs, createdTs: 0 }];
    const x = await writer.beginWrite('v', ['x']);
    let y: Awaited<ReturnType<typeof writer.beginWrite>> | undefined;
    let hook: ReturnType<typeof beforeRecordReads> | undefined;
    try {
      await writer.writeBatch('v', ['x'], row('old', 1));
      await x.write(row('x', 2));
      y = await writer.beginWrite('v', ['x']);
      let first = true;
      hook = beforeRecordReads(async () => {
        if (first) {
          first = false;
          // After the reader's snapshot (both pending there): X commits, then Y writes a (keeping X's value as `p`).
          await x.commit();
          await y!.write(row('y', 3));
        }
      });
      const got = await reader.readMany('v', ['x'], [['a']]);
      hook.restore();
      expect(['old', 'x']).toContain(got[0]?.values[0]);
      expect(hook.keys.length).toBeGreaterThan(0);
    } finally {
      hook?.restore();
      await x.abort();
      await y?.abort();
      await reader.close();
      await writer.close();
    }
  });
});

describe('redis store: a cluster read', () => {
  it.each([
    ['one view', (store: OnlineStore, keys: string[][]) => store.readMany('v', ['x'], keys).then((rows) => [rows.map((g) => g?.values[0])])],
    ['several views', (store: OnlineStore, keys: string[][]) =>
      store.readManyEncodedViews(['v', 'w'].map((view) => ({ view, features: ['x'], keys }))).then((got) => got.map((rows) => rows.map((e) => e && decodeValues(e.encoded)[0])))],
  ])('of %s reads no record before its snapshot of the sessions (a record read earlier could show part of a session)', async (_, read) => {
    // Why: a session writes entity a (node A), entity b (node B), then commits on the `{meta}` node. A reader
    // whose HMGET of a ran before the session wrote a, and whose snapshot ran after the commit, would show the
    // session's b beside the old a. Made deterministic here by pausing the `{meta}` node: every node's MONITOR
    // feed must then show the records read after the snapshot, not 300 ms before it.
    const ports = inject('redisClusterPorts');
    const key_prefix = `fgtest:${randomUUID()}:`;
    const store = await openRedisOnlineStore({ cluster: ports.map((p) => `127.0.0.1:${p}`), key_prefix });
    const nodes = ports.map((port) => new Redis({ port, host: '127.0.0.1' }));
    const monitors: Redis[] = [];
    try {
      const keys = Array.from({ length: 12 }, (_, i) => [`e${i}`]);
      await store.writeBatch('v', ['x'], keys.map((key, i) => ({ key, values: [i], eventTs: 1, createdTs: 0 })));
      await store.writeBatch('w', ['x'], keys.map((key, i) => ({ key, values: [i], eventTs: 1, createdTs: 0 })));
      const slotOwner = async (key: string): Promise<number> => {
        const slot = Number(await nodes[0].cluster('KEYSLOT', key));
        const ranges = await nodes[0].cluster('SLOTS');
        return ranges.find(([lo, hi]) => slot >= lo && slot <= hi)![2][1];
      };
      const metaPort = await slotOwner(`${key_prefix}{meta}:gen:v`);
      const owners = await Promise.all(keys.map((k) => slotOwner(`${key_prefix}{${JSON.stringify(k)}}:v`)));
      expect(owners.filter((p) => p !== metaPort).length).toBeGreaterThan(0);
      const seen: { time: number; command: string }[] = [];
      for (const node of nodes) {
        const m = await node.monitor();
        m.on('monitor', (time: string, args: string[]) => {
          if (args[1]?.startsWith(key_prefix)) seen.push({ time: Number(time), command: args[0].toLowerCase() });
        });
        monitors.push(m);
      }
      await nodes[ports.indexOf(metaPort)].client('PAUSE', 300, 'ALL');
      const got = await read(store, keys);
      for (const rows of got) expect(rows).toEqual(keys.map((_, i) => i));
      await new Promise((r) => setTimeout(r, 100)); // the MONITOR feeds catch up
      const snapshotAt = Math.max(...seen.filter((c) => c.command === 'get' || c.command === 'mget' || c.command === 'hkeys').map((c) => c.time));
      const records = seen.filter((c) => c.command === 'hmget');
      expect(records).toHaveLength(keys.length * got.length);
      expect(records.filter((c) => c.time < snapshotAt)).toEqual([]);
    } finally {
      for (const m of monitors) m.disconnect();
      for (const n of nodes) n.disconnect();
      await store.close();
    }
  });
});

/** Age every pending session of `view` as if it had not renewed for 40 s. */
async function stopRenewals(url: string, prefix: string, view: string): Promise<void> {
  const r = new Redis(url);
  try {
    const key = `${prefix}{meta}:pending:${view}`;
    for (const [g, v] of Object.entries(await r.hgetall(key))) if (v !== '0') await r.hset(key, g, String(Date.now() + 60_000 - 40_000));
  } finally {
    r.disconnect();
  }
}

describe('redis store: an exclusive session after one that failed before its abort reached Redis', () => {
  it('writes over the failed session at once (within its lease): its values are neither compared against nor shown', async () => {
    const { url, key_prefix } = freshRedis();
    const failed = await openRedisOnlineStore({ url, key_prefix });
    await failed.writeBatch('v', ['x'], [{ key: ['a'], values: ['v1'], eventTs: 1, createdTs: 0 }]);
    const w = await failed.beginWrite('v', ['x'], { exclusive: true });
    await w.write([{ key: ['a'], values: ['v2'], eventTs: 2, createdTs: 0 }]);
    await failed.close(); // Redis went away for this process: no commit, no abort; the session stays live for 60 s
    await stopRenewals(url, key_prefix, 'v'); // 40 s later: no renewal since

    const store = await openRedisOnlineStore({ url, key_prefix });
    try {
      const read = async () => (await store.readMany('v', ['x'], [['a']])).map((r) => r?.values[0]);
      expect(await read()).toEqual(['v1']);
      // A push beside it is not exclusive: the failed session still counts as live for it (equal rows skipped).
      expect(await store.writeBatch('v', ['x'], [{ key: ['a'], values: ['v2'], eventTs: 2, createdTs: 0 }])).toEqual({ written: 0, skipped: 1 });
      // The retry of the materialization, under the lease: written, and visible once committed.
      const retry = await store.beginWrite('v', ['x'], { exclusive: true });
      expect(await retry.write([{ key: ['a'], values: ['v2'], eventTs: 2, createdTs: 0 }])).toEqual({ written: 1, skipped: 0 });
      await retry.commit();
      expect(await read()).toEqual(['v2']);
    } finally {
      await store.close();
    }
  });

  it('of the same lease domain (state folder): dead at once, a retry seconds after a kill writes every row', async () => {
    const { url, key_prefix } = freshRedis();
    const killed = await openRedisOnlineStore({ url, key_prefix });
    await killed.writeBatch('v', ['x'], [{ key: ['a'], values: ['v1'], eventTs: 1, createdTs: 0 }]);
    const w = await killed.beginWrite('v', ['x'], { exclusive: true, leaseDomain: 'state-1' });
    await w.write([{ key: ['a'], values: ['v2'], eventTs: 2, createdTs: 0 }]);
    await killed.close(); // kill -9: no commit, no abort; its session renewed a moment ago
    const store = await openRedisOnlineStore({ url, key_prefix });
    try {
      const read = async () => (await store.readMany('v', ['x'], [['a']])).map((r) => r?.values[0]);
      // Another state folder's materialization cannot know the session is dead: it leaves it alone (skips).
      const elsewhere = await store.beginWrite('v', ['x'], { exclusive: true, leaseDomain: 'state-2' });
      expect(await elsewhere.write([{ key: ['a'], values: ['v2'], eventTs: 2, createdTs: 0 }])).toEqual({ written: 0, skipped: 1 });
      await elsewhere.commit();
      // The retry under the same state folder's lease: the killed session is dead, its rows are written again.
      const retry = await store.beginWrite('v', ['x'], { exclusive: true, leaseDomain: 'state-1' });
      expect(await retry.write([{ key: ['a'], values: ['v2'], eventTs: 2, createdTs: 0 }])).toEqual({ written: 1, skipped: 0 });
      await retry.commit();
      expect(await read()).toEqual(['v2']);
    } finally {
      await store.close();
    }
  });

  it('a session marked dead while still writing cannot renew or commit itself back to life', async () => {
    const { url, key_prefix } = freshRedis();
    const a = await openRedisOnlineStore({ url, key_prefix });
    const b = await openRedisOnlineStore({ url, key_prefix });
    try {
      const slow = await a.beginWrite('v', ['x'], { exclusive: true });
      await slow.write([{ key: ['k'], values: ['slow'], eventTs: 5, createdTs: 0 }]);
      // A live writer (renewing) is left alone, even by an exclusive session (another state folder's).
      const beside = await b.beginWrite('v', ['x'], { exclusive: true });
      await beside.commit();
      expect((await slow.write([{ key: ['i'], values: ['slow'], eventTs: 5, createdTs: 0 }])).written).toBe(1);
      // Its renewals failed for a while (its lease taken over): the next materialization marks it dead.
      await stopRenewals(url, key_prefix, 'v');
      const next = await b.beginWrite('v', ['x'], { exclusive: true });
      await expect(slow.write([{ key: ['j'], values: ['slow'], eventTs: 5, createdTs: 0 }])).rejects.toMatchObject({ code: 'session_taken_over' });
      await expect(slow.commit()).rejects.toMatchObject({ code: 'session_taken_over' });
      await next.write([{ key: ['k'], values: ['next'], eventTs: 4, createdTs: 0 }]);
      await next.commit();
      expect((await b.readMany('v', ['x'], [['k'], ['j']])).map((r) => r?.values[0])).toEqual(['next', undefined]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('redis store: configuration', () => {
  it('refuses a database number the server does not have, instead of writing into database 0', async () => {
    const e = await openRedisOnlineStore({ url: `redis://127.0.0.1:${inject('redisPort')}/99` }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'bad_online_store', exitCode: 2, message: expect.stringMatching(/database 99, which .* does not have: ERR DB index is out of range/) });
    // An existing one is fine.
    const ok = await openRedisOnlineStore({ url: `redis://127.0.0.1:${inject('redisPort')}/3`, key_prefix: `fgtest:${randomUUID()}:` });
    await ok.close();
  });

  it('gives a key prefix to the first project that uses it, and refuses another project on it', async () => {
    const { url, key_prefix } = freshRedis();
    const a = await openRedisOnlineStore({ url, key_prefix, project: 'p7' });
    await a.close();
    const e = await openRedisOnlineStore({ url, key_prefix, project: 'p8' }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'online_store_in_use', exitCode: 2, message: expect.stringContaining("holds the online values of project 'p7'; give project 'p8' its own online_store.key_prefix") });
    const again = await openRedisOnlineStore({ url, key_prefix, project: 'p7' });
    // Dropping a view named like a meta key leaves the meta keys alone.
    await again.writeBatch('project', ['x'], [{ key: ['a'], values: [1], eventTs: 1, createdTs: 0 }]);
    await again.dropView('project');
    await again.close();
    await expect(openRedisOnlineStore({ url, key_prefix, project: 'p8' })).rejects.toMatchObject({ code: 'online_store_in_use' });
  });
});

describe('redis store: an aborted write session', () => {
  it('is rolled back and leaves no pending entry', async () => {
    const { url, key_prefix } = freshRedis();
    const store = await openRedisOnlineStore({ url, key_prefix });
    const raw = new Redis(url);
    try {
      await store.writeBatch('v', ['x'], [{ key: ['a'], values: ['kept'], eventTs: 1, createdTs: 0 }]);
      const before = await raw.hgetall(`${key_prefix}{["a"]}:v`);
      const w = await store.beginWrite('v', ['x']);
      await w.write([
        { key: ['a'], values: ['aborted'], eventTs: 2, createdTs: 0 },
        { key: ['b'], values: ['aborted'], eventTs: 2, createdTs: 0 },
      ]);
      await w.abort();
      expect(await raw.hgetall(`${key_prefix}{["a"]}:v`)).toEqual(before);
      expect(await raw.exists(`${key_prefix}{["b"]}:v`)).toBe(0);
      expect(await raw.hkeys(`${key_prefix}{meta}:pending:v`)).toEqual([]);
      expect((await store.readMany('v', ['x'], [['a'], ['b']])).map((r) => r?.values[0])).toEqual(['kept', undefined]);
    } finally {
      raw.disconnect();
      await store.close();
    }
  });
});

describe('redis store: Redis not reachable', () => {
  it('opening fails fast with store_unavailable (503, exit 3) naming the address by host, port and database', async () => {
    // A port nothing listens on: bind one, then close it.
    const probe = createServer();
    const port = await new Promise<number>((r) => probe.listen(0, '127.0.0.1', () => r((probe.address() as AddressInfo).port)));
    await new Promise((r) => probe.close(r));
    const t0 = performance.now();
    const err = await openRedisOnlineStore({ url: `redis://user:secret@127.0.0.1:${port}` }).then(() => null, (e: unknown) => e);
    expect(performance.now() - t0).toBeLessThan(2_500);
    expect(err).toMatchObject({ code: 'store_unavailable', status: 503, exitCode: 3 });
    expect((err as Error).message).toMatch(new RegExp(`^the redis online store \\(redis://127\\.0\\.0\\.1:${port}/0\\) is unavailable: connect ECONNREFUSED`));
    expect((err as Error).message).not.toContain('secret');
  });
});

describe('redis store: a cluster epoch', () => {
  it('changes when any one master loses its keys (restarted without persistence), not only the `{meta}` node', async () => {
    const ports = inject('redisClusterPorts');
    const key_prefix = `fgtest:${randomUUID()}:`;
    const store = await openRedisOnlineStore({ cluster: ports.map((p) => `127.0.0.1:${p}`), key_prefix });
    const nodes = ports.map((port) => new Redis({ port, host: '127.0.0.1' }));
    try {
      const ranges = (await nodes[0].cluster('SLOTS')) as unknown as [number, number, [string, number]][];
      const ownerOf = async (key: string) => {
        const slot = Number(await nodes[0].cluster('KEYSLOT', key));
        expect(slotOfTag(key.slice(key.indexOf('{') + 1, key.indexOf('}')))).toBe(slot);
        return ranges.find(([lo, hi]) => slot >= lo && slot <= hi)![2][1];
      };
      const metaPort = await ownerOf(`${key_prefix}{meta}:epoch`);
      // The first command of a fresh client (a materialization asks for the epoch first).
      const before = await store.epoch();
      await store.writeBatch('v', ['x'], Array.from({ length: 30 }, (_, i) => ({ key: [`e${i}`], values: [i], eventTs: 1, createdTs: 0 })));
      const first = await store.epoch();
      expect(first).toBe(before);
      // One key per master, each on its master.
      const keys = clusterEpochKeys(ranges, key_prefix);
      expect(new Set(await Promise.all(keys.map(ownerOf)))).toEqual(new Set(ports));
      // A master that is not `{meta}`'s loses every key of this store (as a restart without persistence would).
      const victim = nodes[ports.indexOf(ports.find((p) => p !== metaPort)!)];
      let lost = 0;
      let cursor = '0';
      do {
        const [next, found] = await victim.scan(cursor, 'MATCH', `${key_prefix}*`, 'COUNT', 1000);
        cursor = next;
        for (const k of found) lost += await victim.del(k);
      } while (cursor !== '0');
      expect(lost).toBeGreaterThan(1);
      const second = await store.epoch();
      expect(second).not.toBe(first);
      expect(await store.epoch()).toBe(second);
    } finally {
      for (const n of nodes) n.disconnect();
      await store.close();
    }
  });
});
