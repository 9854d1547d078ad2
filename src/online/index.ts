/**
 * Opening an online store from `featureguard.yaml`'s `online_store:` section.
 * Stores are a typed map of factories, not class paths.
 *
 * @example
 * const store = await openOnlineStore({ type: 'redis', url: 'redis://127.0.0.1:6379' }, projectRoot);
 */
import type { OnlineStoreConfig } from '../definitions/types.js';
import { InputError } from '../errors.js';
import type { OnlineStore, OnlineStoreFactory } from './types.js';

type ConfigOf<T extends OnlineStoreConfig['type']> = Omit<Extract<OnlineStoreConfig, { type: T }>, 'type'>;

/** Each store is loaded lazily so that `redis` costs nothing to sqlite users. */
const onlineStores = {
  sqlite: async (options: ConfigOf<'sqlite'>, root: string) => (await import('./sqlite-store.js')).openSqliteOnlineStore(options, root),
  redis: async (options: ConfigOf<'redis'>, _root: string, project?: string) => (await import('./redis-store.js')).openRedisOnlineStore({ ...options, project }),
} satisfies { [T in OnlineStoreConfig['type']]: OnlineStoreFactory<ConfigOf<T>> };

/** Open the online store a project's config names (`root` resolves relative paths; `project` claims a shared store's keys). */
export async function openOnlineStore(config: OnlineStoreConfig, root: string, project?: string): Promise<OnlineStore> {
  switch (config.type) {
    case 'sqlite':
      return onlineStores.sqlite(config, root);
    case 'redis':
      return onlineStores.redis(config, root, project);
    default:
      throw new InputError(`unknown online_store type '${(config as { type: string }).type}'`, { known: Object.keys(onlineStores) });
  }
}

export type { OnlineKey, OnlineRow, OnlineStore, OnlineStoreStats, OnlineWriter, StoredEncoded, StoredValue, WriteResult } from './types.js';
