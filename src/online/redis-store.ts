/**
 * The Redis online store (standalone or Redis Cluster, via `ioredis`): the `OnlineStore` factory, wiring the
 * store's parts together.
 *
 * Layout (redis-keys.ts): one hash per (entity, view): `<prefix>{<key json>}:<view>`. The hash tag
 * is the entity key, so every view of one entity lives on one cluster slot. Reads (redis-read.ts)
 * are `HMGET` per key, pipelined: one round trip per node for a whole request
 * (two on a cluster: the sessions' snapshot is read before the records, see `read`).
 *
 * Atomic sessions without cross-slot transactions (redis-write.ts): every record carries the id
 * of the session that wrote it (`gen`: its generation, drawn from the view's
 * counter, and a random token; ordered by the generation). A session registers its gen in
 * the view's pending hash before writing and removes it on commit, one `HDEL`:
 * readers treat a record of a pending gen as invisible and fall back to the
 * previous record (`p`), so a session becomes visible all at once, on a single
 * node and on a cluster alike. An aborted (or crashed, once its lease expires)
 * session stays in the pending hash as dead: its records are never shown and
 * later writes compare against what readers saw. Monotonicity is checked in Lua
 * per key (redis-scripts.ts).
 *
 * Failing fast (redis-connection.ts): commands are not queued while Redis is unreachable; they fail at once
 * with a `FeatureguardError` `store_unavailable` (HTTP 503) while the client keeps reconnecting in the background.
 * Dropping views, stats and the epoch: redis-admin.ts.
 *
 * @example
 * const store = await openRedisOnlineStore({ url: 'redis://127.0.0.1:6379', project: 'rides' });
 */
import { InputError } from '../errors.js';
import { asStoredEncoded, asStoredValue } from './record-codec.js';
import { createRedisAdmin } from './redis-admin.js';
import { connectRedis, type RedisOnlineStoreOptions } from './redis-connection.js';
import { redisKeys } from './redis-keys.js';
import { createRedisReader } from './redis-read.js';
import { createRedisWriter } from './redis-write.js';
import type { ReadyProbe } from './ready-probe.js';
import type { OnlineStore } from './types.js';

export type { RedisOnlineStoreOptions } from './redis-connection.js';

export async function openRedisOnlineStore(options: RedisOnlineStoreOptions = {}): Promise<OnlineStore & ReadyProbe> {
  const prefix = options.key_prefix ?? 'featureguard:';
  if (/[{}]/.test(prefix)) throw new InputError(`online_store.key_prefix must not contain '{' or '}' (got '${prefix}')`);
  const keys = redisKeys(prefix);
  const conn = await connectRedis(options, keys);
  const { client, guarded } = conn;
  const { read, forgetSnapshot } = createRedisReader(conn, keys);
  const { beginWrite, stopSessions } = createRedisWriter(conn, keys, { leaseMs: options.session_lease_ms, onCommit: forgetSnapshot });
  const admin = createRedisAdmin(conn, keys);

  return {
    type: 'redis',
    beginWrite,
    async writeBatch(view, features, rows, options) {
      const w = await beginWrite(view, features, options);
      try {
        await w.write(rows);
        return await w.commit();
      } catch (e) {
        // Redis gone mid-write: the abort fails too, and the write's error is the one to report.
        await w.abort().catch(() => undefined);
        throw e;
      }
    },
    readMany: async (view, features, keys) => (await read([{ view, features, keys }], asStoredValue))[0],
    readManyEncoded: async (view, features, keys) => (await read([{ view, features, keys }], asStoredEncoded))[0],
    readManyEncodedViews: (requests) => read(requests, asStoredEncoded),
    dropView: (view) => guarded(admin.dropView(view)),
    stats: () => guarded(admin.stats()),
    epoch: () => guarded(admin.epoch()),
    probeReady: () => guarded(admin.probeReady()),
    async close() {
      // Sessions left open can neither renew nor commit from now on: no longer alive for this process's writers.
      stopSessions();
      await client.quit().catch(() => client.disconnect());
    },
  };
}
