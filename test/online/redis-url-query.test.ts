/**
 * An online_store.url whose query holds an option ioredis would read as text (`?connectTimeout=2000`) is refused
 * by `validate` and config load, naming the file, the key and the option, instead of passing `validate` and then
 * crashing every command that opens the store with an uncaught TypeError and a stack trace (a review finding).
 * The options ioredis reads safely from the query (user name, password, database, family, name) keep working.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/definitions/loader.js';
import { materialize } from '../../src/materialize/materialize.js';
import { openRedisOnlineStore } from '../../src/online/redis-store.js';
import { openProject } from '../../src/project.js';
import { runCli } from '../cli/cli-io.js';
import { writeSmallProject } from '../cli/small-project.js';

const CHILD = join(__dirname, '..', 'cli', 'interrupt-child.ts');
const SECRET = 'Pw4QueryTest';

/** The CLI in a child process, as the executable runs it: an uncaught error there exits with a stack trace. */
function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

function project(url: string, prefix = `fgq_${randomUUID().slice(0, 8)}:`): string {
  const dir = writeSmallProject('fg-redis-query-');
  writeFileSync(join(dir, 'featureguard.yaml'), `project: small\ndefinitions: features\nonline_store:\n  type: redis\n  url: "${url}"\n  key_prefix: "${prefix}"\n`);
  return dir;
}

let port: number;
const user = `q_${randomUUID().slice(0, 8)}`;
let admin: Redis;
beforeAll(async () => {
  port = inject('redisPort');
  admin = new Redis({ port, host: '127.0.0.1' });
  await admin.call('ACL', 'SETUSER', user, 'on', `>${SECRET}`, '~*', '+@all');
});
afterAll(async () => {
  await admin?.call('ACL', 'DELUSER', user);
  admin?.disconnect();
});

describe('online_store.url query options', () => {
  it('an option ioredis would misread is refused by validate and by every command, naming file, key and option', async () => {
    const dir = project(`redis://127.0.0.1:${port}/0?connectTimeout=2000`);
    expect(() => loadConfig(dir)).toThrow(/query option 'connectTimeout' is not supported/);
    const validated = await cli(['--project', dir, 'validate']);
    expect(validated.code).toBe(2);
    expect(validated.err).toMatch(/featureguard\.yaml:5:\d+.*\/online_store\/url.*query option 'connectTimeout' is not supported/);
    const materialized = await cli(['--project', dir, 'materialize', '--start', '2001-01-01T00:00:00Z', '--end', '2001-01-02T00:00:00Z']);
    expect(materialized.code).toBe(2);
    expect(materialized.err).toContain("query option 'connectTimeout' is not supported");
    expect(materialized.err).not.toMatch(/TypeError|    at /);
  }, 60_000);

  it('a bad database or family, an unparseable URL: refused without quoting the URL or its password', async () => {
    for (const [url, reason] of [
      [`redis://127.0.0.1:${port}/0?db=two&password=${SECRET}`, "query option 'db' must be a database index"],
      [`redis://127.0.0.1:${port}/0?family=5`, "query option 'family' must be 4 (IPv4), 6 (IPv6) or 0 (either)"],
      [`redis://u:${SECRET}@bad host:${port}`, 'cannot be parsed as a URL'],
      [`/run/redis.sock?commandTimeout=5&password=${SECRET}`, "query option 'commandTimeout' is not supported"],
    ]) {
      const dir = project(url);
      const res = await runCli(['--project', dir, 'validate']);
      expect(res.code, url).toBe(2);
      expect(res.err, url).toContain(reason);
      expect(res.err, url).not.toContain(SECRET);
    }
    // The SDK opening the store itself is refused alike (bad_online_store), before any connection.
    await expect(openRedisOnlineStore({ url: `redis://127.0.0.1:${port}/0?enableOfflineQueue=true` })).rejects.toMatchObject({
      code: 'bad_online_store', message: expect.stringContaining("query option 'enableOfflineQueue' is not supported"),
    });
  });

  it('a cluster node written with a password is refused without quoting it', async () => {
    // Before: "invalid redis cluster node 'redis://:Pw4QueryTest@127.0.0.1:7000': use host:port" (logs, stderr).
    const refused = openRedisOnlineStore({ cluster: ['127.0.0.1:7000', `redis://:${SECRET}@127.0.0.1:7001`] });
    await expect(refused).rejects.toMatchObject({ message: expect.stringContaining('invalid redis cluster node 2 (online_store.cluster[1])') });
    await expect(refused).rejects.toMatchObject({ message: expect.not.stringContaining(SECRET) });
  });

  it('the user name, password, database, family and name ioredis reads safely keep working', async () => {
    const dir = project(`redis://127.0.0.1:${port}/1?username=${user}&password=${SECRET}&db=1&family=4&name=fgtest`);
    expect((await runCli(['--project', dir, 'validate'])).code).toBe(0);
    expect((await runCli(['--project', dir, 'apply'])).code).toBe(0);
    const p = openProject(dir);
    try {
      const [run] = await materialize(p, { start: '2001-01-01T00:00:00Z', end: '2001-01-03T00:00:00Z' });
      expect(run.status).toBe('success');
    } finally {
      await p.close();
    }
    const got = await runCli(['--project', dir, '--json', 'online', 'get', '--features', 'stats:n', '--entity', 'origin=SEA']);
    expect(got.code, got.err).toBe(0);
    expect(got.out).toContain('"n"');
  }, 60_000);
});
