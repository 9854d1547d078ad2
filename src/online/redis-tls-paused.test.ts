/**
 * A TLS Redis that is hung (SIGSTOP: the kernel still takes connections, nothing answers) is not told it does not
 * speak TLS (a review finding: "no TLS handshake … does this server use TLS? … use redis://", wrong advice for a
 * correct configuration). "Not TLS" is said only of a server that answers a plain PING (tested in
 * redis-tls-mismatch.test.ts).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assertRedisInstalled, freeRedisPort } from '../../test/setup/redis.js';
import { openRedisOnlineStore } from './redis-store.js';

let dir: string;
let port: number;
let node: ChildProcess | undefined;

beforeAll(async () => {
  assertRedisInstalled();
  dir = mkdtempSync(join(tmpdir(), 'fg-redis-tls-paused-'));
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  port = await freeRedisPort();
  node = spawn('redis-server', ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
    '--tls-cert-file', cert, '--tls-key-file', join(dir, 'key.pem'), '--tls-ca-cert-file', cert, '--tls-auth-clients', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    node!.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    node!.once('exit', (code) => reject(new Error(`redis-server with TLS exited with ${code}:\n${out}`)));
  });
});
afterAll(async () => {
  if (node && node.exitCode === null) {
    const exited = new Promise((r) => node!.once('exit', r));
    node.kill('SIGCONT');
    node.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('a hung TLS Redis (SIGSTOP) is store_unavailable with "check that Redis is running", not told to use redis://', async () => {
  node!.kill('SIGSTOP');
  try {
    const e = (await openRedisOnlineStore({ url: `rediss://127.0.0.1:${port}` }).catch((x: unknown) => x)) as { code?: string; message: string };
    expect(e.code).toBe('store_unavailable');
    expect(e.message).not.toMatch(/does this server use TLS|use redis:\/\//);
    expect(e.message).toMatch(/check that Redis is running and reachable$/);
  } finally {
    node!.kill('SIGCONT');
  }
}, 20_000);
