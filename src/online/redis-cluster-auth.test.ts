/**
 * A password-protected Redis Cluster (`--requirepass`, `--masterauth`), as managed clusters are: its own cluster.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type RedisClusterProcess } from '../../test/setup/redis.js';
import { clusterCredentials } from './redis-credentials.js';
import { openRedisOnlineStore } from './redis-store.js';

const PASSWORD = 's3cret-cluster-pw';
let cluster: RedisClusterProcess;
beforeAll(async () => {
  cluster = await startRedisCluster(3, { password: PASSWORD });
  process.env.FG_TEST_CLUSTER_PW = PASSWORD;
  process.env.FG_TEST_CLUSTER_WRONG = 'not-it';
});
afterAll(async () => {
  delete process.env.FG_TEST_CLUSTER_PW;
  delete process.env.FG_TEST_CLUSTER_WRONG;
  await cluster?.stop();
});

const seeds = () => cluster.ports.map((p) => `127.0.0.1:${p}`);

describe('redis store: a password-protected cluster', () => {
  it('writes and reads with online_store.password_env (and username)', async () => {
    for (const username of [undefined, 'default']) {
      const store = await openRedisOnlineStore({ cluster: seeds(), key_prefix: `fgtest:${randomUUID()}:`, password_env: 'FG_TEST_CLUSTER_PW', username });
      try {
        const keys = Array.from({ length: 30 }, (_, i) => [`e${i}`]);
        expect(await store.writeBatch('v', ['x'], keys.map((key) => ({ key, values: ['ok'], eventTs: 1, createdTs: 0 })))).toEqual({ written: 30, skipped: 0 });
        expect((await store.readMany('v', ['x'], keys)).map((r) => r?.values[0])).toEqual(keys.map(() => 'ok'));
      } finally {
        await store.close();
      }
    }
  });

  it('without a password: a configuration error saying to set online_store.password_env, not "Failed to refresh slots cache"', async () => {
    const e = await openRedisOnlineStore({ cluster: seeds() }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'online_store_auth', exitCode: 2, message: expect.stringMatching(/needs a password: set online_store\.password_env/) });
    expect((e as Error).message).not.toMatch(/Failed to refresh slots cache/);
  });

  it('with a wrong password: says the password was refused, never quoting it', async () => {
    const e = await openRedisOnlineStore({ cluster: seeds(), password_env: 'FG_TEST_CLUSTER_WRONG' }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'online_store_auth', exitCode: 2, message: expect.stringMatching(/refused the user name and password.*FG_TEST_CLUSTER_WRONG/) });
    expect((e as Error).message).not.toContain('not-it');
  });

  it('with password_env naming a variable that is not set: says so', async () => {
    const e = await openRedisOnlineStore({ cluster: seeds(), password_env: 'FG_TEST_CLUSTER_UNSET' }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'bad_online_store', exitCode: 2, message: expect.stringMatching(/FG_TEST_CLUSTER_UNSET.*not set/) });
  });

  it('with the password itself written in password_env: never repeated in the message or its details (a review finding)', async () => {
    const e = (await openRedisOnlineStore({ cluster: seeds(), password_env: 'hunter2Secret' }).catch((x: unknown) => x)) as { code: string; message: string; details: unknown };
    expect(e.code).toBe('bad_online_store');
    expect(e.message).toMatch(/names a variable, which is not set.*may be the password itself/);
    expect(JSON.stringify([e.message, e.details])).not.toContain('hunter2Secret');
  });

  it('a node written with its password is refused, pointing at username and password_env', async () => {
    const e = await openRedisOnlineStore({ cluster: [`redis://:${PASSWORD}@127.0.0.1:${cluster.ports[0]}`] }).catch((x: unknown) => x);
    expect((e as Error).message).toMatch(/without a user or password \(give those as online_store\.username and password_env\)$/);
    expect((e as Error).message).not.toContain(PASSWORD);
  });

  it('tls: true connects to the nodes over TLS (node options), by the names given', () => {
    expect(clusterCredentials({ tls: true, username: 'app' })).toEqual({ username: 'app', tls: {} });
    expect(clusterCredentials({})).toEqual({});
  });
});
