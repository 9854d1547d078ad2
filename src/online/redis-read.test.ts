import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { asStoredValue } from './record-codec.js';
import { connectRedis } from './redis-connection.js';
import { redisKeys } from './redis-keys.js';
import { createRedisReader } from './redis-read.js';
import { openRedisOnlineStore } from './redis-store.js';

describe('redis reads on one node', () => {
  it("send a turn's commands (the sessions' snapshot, then the records) in one write to the connection", async () => {
    const options = { url: `redis://127.0.0.1:${inject('redisPort')}`, key_prefix: `fgtest:${randomUUID()}:` };
    const store = await openRedisOnlineStore(options);
    const layout = redisKeys(options.key_prefix);
    const conn = await connectRedis(options, layout);
    try {
      const views = ['v0', 'v1', 'v2', 'v3', 'v4'];
      for (const view of views) await store.writeBatch(view, ['x'], [{ key: ['a'], values: [view], eventTs: 1, createdTs: 0 }]);
      const { read } = createRedisReader(conn, layout);
      const requests = views.map((view) => ({ view, features: ['x'], keys: [['a'], ['b']] }));
      const expected = views.map((view) => [[view], undefined]);
      expect((await read(requests, asStoredValue)).map((rows) => rows.map((r) => r?.values))).toEqual(expected);
      // Counted where the socket hands its data to the OS: one write or one writev per call.
      const socket = (conn.client as Redis).stream as Socket & { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
      const writes: number[] = [];
      const [write, writev] = [socket._write, socket._writev];
      socket._write = function (...a: unknown[]) {
        writes.push(1);
        return write.apply(this, a);
      };
      socket._writev = function (chunks: unknown, ...a: unknown[]) {
        writes.push((chunks as unknown[]).length);
        return writev.apply(this, [chunks, ...a]);
      };
      // Two reads of the same turn: one MGET and five HKEYS of the snapshot (shared), then twenty HMGETs.
      const got = await Promise.all([read(requests, asStoredValue), read(requests, asStoredValue)]);
      expect(got.map((one) => one.map((rows) => rows.map((r) => r?.values)))).toEqual([expected, expected]);
      expect(writes).toHaveLength(1);
    } finally {
      conn.client.disconnect();
      await store.close();
    }
  });
});
