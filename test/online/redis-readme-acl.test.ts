/**
 * The README's Redis ACLs, exactly as written there (a review finding: a `+@read` user could not serve and the
 * documented writer could not materialize, both refused `NOPERM … 'ping'`; the tests granted `+@connection +info`).
 * On a single node and on the suite's cluster (whose users also need `+cluster|slots`, as the README says).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi, type MockInstance } from 'vitest';
import { materialize } from '../../src/materialize/materialize.js';
import { openRedisOnlineStore } from '../../src/online/redis-store.js';
import { createFixture, type Fixture } from '../server/fixture.js';

const README = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
/** The ACL strings the README gives, checked to be there: a test of other strings would prove nothing. */
const READER = '+@read';
const WRITER = '+@read +@write +@scripting +time';
const CLUSTER_EXTRA = '+cluster|slots';
const reader = `rd_${randomUUID().slice(0, 8)}`;
const writer = `wr_${randomUUID().slice(0, 8)}`;
const PW = 'acl-pw';

let admins: Redis[] = [];
let warn: MockInstance;
beforeAll(async () => {
  const ports = [inject('redisPort'), ...inject('redisClusterPorts')];
  admins = ports.map((port) => new Redis({ port, host: '127.0.0.1' }));
  await Promise.all(
    admins.map(async (admin, i) => {
      const extra = i === 0 ? [] : [CLUSTER_EXTRA];
      await admin.call('ACL', 'SETUSER', reader, 'on', `>${PW}`, '~fgtest_acl_*', ...READER.split(' '), ...extra);
      await admin.call('ACL', 'SETUSER', writer, 'on', `>${PW}`, '~fgtest_acl_*', ...WRITER.split(' '), ...extra);
    }),
  );
  process.env.FG_TEST_ACL_PW = PW;
});
afterAll(async () => {
  delete process.env.FG_TEST_ACL_PW;
  await Promise.all(admins.map((a) => a.call('ACL', 'DELUSER', reader, writer).finally(() => a.disconnect())));
});
beforeEach(() => {
  warn = vi.spyOn(console, 'warn');
});
afterEach(() => {
  // ioredis's INFO ready check, which a user without INFO failed on every connection, printing this on stderr.
  expect(warn.mock.calls.flat().join('\n')).not.toMatch(/ready check/);
  warn.mockRestore();
});

it('the README gives these ACLs', () => {
  expect(README).toContain(`ACL \`${WRITER}\``);
  expect(README).toContain(`\`~<prefix>* ${READER}\``);
  expect(README).toContain(CLUSTER_EXTRA);
});

const standalone = (user?: string) => ({ url: user ? `redis://${user}:${PW}@127.0.0.1:${inject('redisPort')}` : `redis://127.0.0.1:${inject('redisPort')}` });
const cluster = (user?: string) => ({ cluster: inject('redisClusterPorts').map((p) => `127.0.0.1:${p}`), ...(user ? { username: user, password_env: 'FG_TEST_ACL_PW' } : {}) });

describe.each([
  ['a single node', standalone],
  ['a cluster', cluster],
])('on %s', (_, target) => {
  it("the README's writer writes and the README's reader (read commands only) opens the store and reads", async () => {
    const key_prefix = `fgtest_acl_${randomUUID()}:`;
    const w = await openRedisOnlineStore({ ...target(writer), key_prefix, project: 'acl' });
    try {
      const keys = Array.from({ length: 20 }, (_, i) => [`e${i}`]);
      expect(await w.writeBatch('v', ['x'], keys.map((key, i) => ({ key, values: [i], eventTs: 1, createdTs: 0 })))).toEqual({ written: 20, skipped: 0 });
      const epoch = await w.epoch();
      const r = await openRedisOnlineStore({ ...target(reader), key_prefix, project: 'acl' });
      try {
        expect((await r.readMany('v', ['x'], keys)).map((x) => x?.values[0])).toEqual(keys.map((_, i) => i));
        expect(await r.epoch()).toBe(epoch);
      } finally {
        await r.close();
      }
    } finally {
      await w.close();
    }
  });

  describe('a materialization through the README writer', () => {
    let fx: Fixture;
    beforeAll(async () => {
      const key_prefix = `fgtest_acl_${randomUUID()}:`;
      const t = target(writer) as { url?: string; cluster?: string[]; username?: string; password_env?: string };
      const store = t.url
        ? `{type: redis, url: "${t.url}", key_prefix: "${key_prefix}"}`
        : `{type: redis, cluster: ${JSON.stringify(t.cluster)}, username: ${t.username}, password_env: ${t.password_env}, key_prefix: "${key_prefix}"}`;
      fx = await createFixture({ onlineStore: store });
    });
    afterAll(async () => {
      await fx?.close();
    });

    it('succeeds, and the README reader serves its values', async () => {
      const [result] = await materialize(fx.project, { start: '2001-01-01T00:00:00Z', end: '2001-01-02T00:00:00Z' });
      expect(result.message ?? '').toBe('');
      expect(['success', 'warned']).toContain(result.status);
      const config = join(fx.dir, 'featureguard.yaml');
      const text = readFileSync(config, 'utf8');
      writeFileSync(config, text.replaceAll(`${writer}:`, `${reader}:`).replace(`username: ${writer}`, `username: ${reader}`));
      const { openProject } = await import('../../src/project.js');
      const replica = openProject(fx.dir);
      try {
        const store = await replica.onlineStore();
        // SEA's latest hour (23): dep_delay = 0 * 100 + 23.
        const [row] = await store.readMany('origin_delays', ['dep_delay'], [['SEA']]);
        expect(row?.values).toEqual([23]);
      } finally {
        await replica.close();
      }
    });
  });
});

describe('a cluster user without +cluster|slots', () => {
  const bare = `bare_${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    await Promise.all(admins.slice(1).map((a) => a.call('ACL', 'SETUSER', bare, 'on', `>${PW}`, '~fgtest_acl_*', ...WRITER.split(' '))));
  });
  afterAll(async () => {
    await Promise.all(admins.slice(1).map((a) => a.call('ACL', 'DELUSER', bare)));
  });

  it('is a permission error naming the command and the ACL (exit 2), not an outage (a review finding: "Failed to refresh slots cache … check that Redis is running", exit 3)', async () => {
    const e = (await openRedisOnlineStore({ ...cluster(bare), key_prefix: `fgtest_acl_${randomUUID()}:` }).catch((x: unknown) => x)) as { code?: string; exitCode?: number; message: string };
    expect(e).toMatchObject({ code: 'online_store_permission', exitCode: 2 });
    expect(e.message).toMatch(/NOPERM.*'cluster\|slots'/);
    expect(e.message).toContain('+cluster|slots');
    expect(e.message).not.toMatch(/check that Redis is running/);
  });
});

describe('a single node URL selecting a database other than 0', () => {
  it('needs +select beside the README ACL: without it, a permission error naming SELECT (it said the database did not exist)', async () => {
    const url = (user: string) => `redis://${user}:${PW}@127.0.0.1:${inject('redisPort')}/1`;
    const e = (await openRedisOnlineStore({ url: url(reader), key_prefix: `fgtest_acl_${randomUUID()}:` }).catch((x: unknown) => x)) as { code?: string; exitCode?: number; message: string };
    expect(e).toMatchObject({ code: 'online_store_permission', exitCode: 2 });
    expect(e.message).toMatch(/NOPERM.*'select'/);
    await admins[0].call('ACL', 'SETUSER', reader, '+select');
    try {
      const store = await openRedisOnlineStore({ url: url(reader), key_prefix: `fgtest_acl_${randomUUID()}:` });
      await store.close();
    } finally {
      await admins[0].call('ACL', 'SETUSER', reader, '-select');
    }
  });
});
