/**
 * A Redis Cluster over TLS (`tls: true`) whose certificate Node does not trust (self-signed here, as a private CA's
 * is without `NODE_EXTRA_CA_CERTS`): opening the store names the certificate error, as a single node does, where
 * it said only "Failed to refresh slots cache. (Connection is closed.)". With the certificate trusted through
 * `NODE_EXTRA_CA_CERTS` (read when Node starts: a child process) the same cluster is used.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertRedisInstalled, freeRedisPort } from '../../test/setup/redis.js';
import { openRedisOnlineStore } from './redis-store.js';

const run = promisify(execFile);
let dir: string;
let port: number;
let node: ChildProcess | undefined;
const cert = () => join(dir, 'cert.pem');

/** A one-node cluster on a TLS port only, holding every slot, with a self-signed certificate for 127.0.0.1. */
beforeAll(async () => {
  assertRedisInstalled();
  dir = mkdtempSync(join(tmpdir(), 'fg-redis-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', cert(), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  port = await freeRedisPort();
  node = spawn('redis-server', ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
    '--tls-cert-file', cert(), '--tls-key-file', join(dir, 'key.pem'), '--tls-ca-cert-file', cert(), '--tls-auth-clients', 'no', '--tls-cluster', 'yes',
    '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-announce-ip', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    node!.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    node!.once('exit', (code) => reject(new Error(`redis-server with TLS exited with ${code}:\n${out}`)));
  });
  const cli = ['--tls', '--cacert', cert(), '-h', '127.0.0.1', '-p', String(port)];
  await run('redis-cli', [...cli, 'cluster', 'addslotsrange', '0', '16383']);
  for (let i = 0; i < 100 && !(await run('redis-cli', [...cli, 'cluster', 'info'])).stdout.includes('cluster_state:ok'); i++) await new Promise((r) => setTimeout(r, 50));
});
afterAll(async () => {
  if (node && node.exitCode === null) {
    const exited = new Promise((r) => node!.once('exit', r));
    node.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('redis store: a TLS cluster with an untrusted certificate', () => {
  it('names the certificate error and how to trust a private CA, not only "Connection is closed"', async () => {
    const e = await openRedisOnlineStore({ cluster: [`127.0.0.1:${port}`], tls: true }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'store_unavailable', exitCode: 3 });
    const message = (e as Error).message;
    expect(message).toMatch(/self[- ]signed certificate/);
    expect(message).toContain('NODE_EXTRA_CA_CERTS');
    expect(message).not.toMatch(/check that Redis is running/);
  });

  it('a single node says the same', async () => {
    const e = await openRedisOnlineStore({ url: `rediss://127.0.0.1:${port}` }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'store_unavailable', message: expect.stringMatching(/self[- ]signed certificate.*NODE_EXTRA_CA_CERTS/) });
  });

  it('is used once NODE_EXTRA_CA_CERTS trusts the certificate', async () => {
    const script = `
      import { openRedisOnlineStore } from ${JSON.stringify(join(import.meta.dirname, 'redis-store.ts'))};
      const store = await openRedisOnlineStore({ cluster: ['127.0.0.1:${port}'], tls: true, key_prefix: 'fgtls:' });
      const written = await store.writeBatch('v', ['x'], [{ key: ['e'], values: ['ok'], eventTs: 1, createdTs: 0 }]);
      const read = await store.readMany('v', ['x'], [['e']]);
      await store.close();
      console.log(JSON.stringify({ written, read: read[0]?.values }));
    `;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, NODE_EXTRA_CA_CERTS: cert() }, cwd: join(import.meta.dirname, '..', '..') });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ written: { written: 1, skipped: 0 }, read: ['ok'] });
  }, 30_000);
});
