/**
 * The Redis online store's operations on whole views and on the store: dropping a view's keys, the entity counts
 * (`stats`), the store's epoch (which changes when Redis lost its keys) and `/ready`'s probe of every master.
 *
 * @example
 * const admin = createRedisAdmin(conn, keys);
 * await admin.dropView('driver_stats');
 */
import { createHash, randomBytes } from 'node:crypto';
import { Cluster, type Redis } from 'ioredis';
import { clusterEpochKeys } from './redis-cluster-slots.js';
import { failedOn, readOrClaim, type RedisConnection } from './redis-connection.js';
import type { RedisKeys } from './redis-keys.js';
import type { OnlineStoreStats } from './types.js';

/** A store's operations on whole views and on the store (see the module comment); failures are not yet `guarded`. */
export interface RedisAdmin {
  dropView(view: string): Promise<void>;
  stats(): Promise<OnlineStoreStats>;
  epoch(): Promise<string>;
  /** Every master answers a read (see `ReadyProbe`); a failure names the node. */
  probeReady(): Promise<void>;
}

function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** The operations of the store behind `conn` on whole views and on the store. */
export function createRedisAdmin({ client }: RedisConnection, layout: RedisKeys): RedisAdmin {
  const { prefix, meta, countKey, pendingKey, exclusiveKey, ownersKey, viewsKey } = layout;
  const masters = (): Redis[] => (client instanceof Cluster ? client.nodes('master') : [client]);

  const dropView = async (view: string): Promise<void> => {
    const match = `${globEscape(prefix)}{*}:${globEscape(view)}`;
    const suffix = `}:${view}`;
    for (const node of masters()) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
        cursor = next;
        // Entity keys only: `{meta}` keys (the prefix's owner, a view named `project`) end the same way.
        await Promise.all(keys.filter((k) => k.endsWith(suffix) && !k.startsWith(meta)).map((k) => client.unlink(k)));
      } while (cursor !== '0');
    }
    await Promise.all([client.del(countKey(view)), client.del(pendingKey(view)), client.del(exclusiveKey(view)), client.del(ownersKey(view)), client.srem(viewsKey, view)]);
  };

  /**
   * The store's epoch (see `OnlineStore.epoch`): a key made once; a Redis that lost its keys makes a new one. A
   * cluster master restarted without persistence loses its own slots only: one key on `{meta}`'s node stayed, and
   * incremental runs answered up to date over the entities the others lost. There every master keeps such a key
   * (`clusterEpochKeys`), and the epoch is made of them all: a master that lost its keys makes a new one. A cluster
   * whose masters or slots change (resharding, a master added) may choose other keys: a new epoch too, so the
   * next incremental runs write everything again, which is harmless.
   *
   * Read first, made only when missing: the freshness gauge asks on every scrape, and a read-only Redis user or
   * replica (which serves reads) may not write. One that finds a key missing answers `none`: the store has no
   * epoch yet (or lost it), and no window was written under that value.
   */
  const epoch = async (): Promise<string> => {
    const keys = client instanceof Cluster ? clusterEpochKeys(await client.cluster('SLOTS'), prefix) : [layout.epochKey];
    const values = await Promise.all(keys.map(async (key) => (await readOrClaim(client, key, () => randomBytes(16).toString('hex'), 'none'))!));
    return values.length === 1 ? values[0] : createHash('sha256').update(values.join(',')).digest('hex').slice(0, 32);
  };

  const stats = async (): Promise<OnlineStoreStats> => {
    const views = (await client.smembers(viewsKey)).sort();
    const counts = await Promise.all(views.map((v) => client.get(countKey(v))));
    return { type: 'redis', views: Object.fromEntries(views.map((v, i) => [v, { entities: Number(counts[i] ?? 0) }])) };
  };

  /**
   * One read on every master of the slot map the client holds, all at once (a single node: one read). A slot no
   * master serves, or a master that does not answer, fails like a read of its slots would, the node named first.
   * Read commands only (`GET` of the master's epoch key): a read-only user's `/ready` works too.
   */
  const probeReady = async (): Promise<void> => {
    if (!(client instanceof Cluster)) {
      await client.get(layout.projectKey);
      return;
    }
    const ranges = new Map<string, [number, number, [string, number, string]][]>();
    for (let slot = 0; slot < 16_384; slot++) {
      const node = client.slots[slot]?.[0];
      if (node === undefined) throw new Error(`CLUSTERDOWN slot ${slot} is served by no master the client knows`);
      const own = ranges.get(node) ?? [];
      const last = own.at(-1);
      if (last && last[1] === slot - 1) last[1] = slot;
      else own.push([slot, slot, [node, 0, node]]);
      ranges.set(node, own);
    }
    await Promise.all(
      [...ranges].map(async ([node, slots]) => {
        // The node beside the error, not in its message: `storeUnavailable` reads that (CLUSTERDOWN, a timeout).
        await client.get(clusterEpochKeys(slots, prefix)[0]).catch((e: unknown) => {
          throw failedOn(e, node);
        });
      }),
    );
  };

  return { dropView, stats, epoch, probeReady };
}
