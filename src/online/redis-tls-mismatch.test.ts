/**
 * TLS asked of a Redis that does not speak it (`rediss://` to a plain server, `tls: true` to plain cluster nodes):
 * the message says so, where it said "connect ETIMEDOUT; check that Redis is running and reachable" of a Redis
 * that was running (a review finding).
 */
import { expect, inject, it } from 'vitest';
import { openRedisOnlineStore } from './redis-store.js';

it.each([
  ['rediss:// to a plain server', () => ({ url: `rediss://127.0.0.1:${inject('redisPort')}` }), () => inject('redisPort')],
  ['tls: true to plain cluster nodes', () => ({ cluster: inject('redisClusterPorts').map((p) => `127.0.0.1:${p}`), tls: true }), () => inject('redisClusterPorts')[0]],
])('%s: store_unavailable saying no TLS handshake came from the node', async (_, options, port) => {
  const e = (await openRedisOnlineStore(options()).catch((x: unknown) => x)) as { code?: string; message: string };
  expect(e.code).toBe('store_unavailable');
  expect(e.message).toContain(`no TLS handshake from 127.0.0.1:${port()}: does this server use TLS?`);
  expect(e.message).not.toMatch(/check that Redis is running/);
}, 20_000);
