/**
 * The Redis online store's layout: the names of its keys under a prefix, and the text of a record.
 *
 * Entity values: one hash per (entity, view), `<prefix>{<key json>}:<view>`, fields `c` and `p` (see
 * redis-scripts.ts). The hash tag is the entity key, so every view of one entity lives on one cluster slot. The
 * rest sits on the one slot of `<prefix>{meta}`: per view its session counter, pending and exclusive sessions,
 * session owners and entity count; the views, the feature lists by schema hash, the prefix's owner and the epoch.
 * A record is `gen|event_ts|created_ts|schema|payload`, its gen the id of the session that wrote it.
 *
 * @example
 * const keys = redisKeys('featureguard:');
 * keys.entityKey('driver_stats', [1001]); // 'featureguard:{[1001]}:driver_stats'
 */
import { FeatureguardError } from '../errors.js';
import { encodeKey } from './record-codec.js';
import type { OnlineKey } from './types.js';

/** The keys of one prefix (see the module comment). */
export interface RedisKeys {
  readonly prefix: string;
  /** `<prefix>{meta}`: the start of every key that is no entity's. */
  readonly meta: string;
  readonly entityKey: (view: string, key: OnlineKey) => string;
  /** `entityKey` up to the view's name (`<prefix>{<key json>}:`): the part every view of the entity shares. */
  readonly entityPrefix: (key: OnlineKey) => string;
  /** The last gen drawn for a view's sessions. */
  readonly genKey: (view: string) => string;
  /** A view's sessions not yet committed, by gen (`0` once dead). */
  readonly pendingKey: (view: string) => string;
  /** Gens of the exclusive (materialization) sessions of a view not yet ended. */
  readonly exclusiveKey: (view: string) => string;
  /** The writer process (`host#pid`) of each session begun, by gen, until a later session finds it ended. */
  readonly ownersKey: (view: string) => string;
  /** How many entities a view has. */
  readonly countKey: (view: string) => string;
  /** The set of views written. */
  readonly viewsKey: string;
  /** Feature lists by schema hash. */
  readonly schemasKey: string;
  /** The project that owns the prefix. */
  readonly projectKey: string;
  /** A single node's epoch (a cluster's are `clusterEpochKeys`). */
  readonly epochKey: string;
}

/** The keys under `prefix` (which holds no `{` or `}`: the hash tags are the store's). */
export function redisKeys(prefix: string): RedisKeys {
  const meta = `${prefix}{meta}`;
  return {
    prefix,
    meta,
    entityKey: (view, key) => `${prefix}{${encodeKey(key)}}:${view}`,
    entityPrefix: (key) => `${prefix}{${encodeKey(key)}}:`,
    genKey: (view) => `${meta}:gen:${view}`,
    pendingKey: (view) => `${meta}:pending:${view}`,
    exclusiveKey: (view) => `${meta}:exclusive:${view}`,
    ownersKey: (view) => `${meta}:owners:${view}`,
    countKey: (view) => `${meta}:count:${view}`,
    viewsKey: `${meta}:views`,
    schemasKey: `${meta}:schemas`,
    projectKey: `${meta}:project`,
    epochKey: `${meta}:epoch`,
  };
}

/** A record's text (see the module comment). */
export function recordText(gen: string, eventTs: string, createdTs: string, schema: string, payload: string): string {
  return `${gen}|${eventTs}|${createdTs}|${schema}|${payload}`;
}

/** Gen of a record: the text before its first `|`. */
export function genOf(rec: string): string {
  return rec.slice(0, rec.indexOf('|'));
}

/** Schema hash of a record: its fourth field. */
export function recordSchema(rec: string): string {
  const c = rec.indexOf('|', rec.indexOf('|', rec.indexOf('|') + 1) + 1);
  return rec.slice(c + 1, rec.indexOf('|', c + 1));
}

/**
 * The error for a view holding a record of a gen its session counter has not reached: the counter went back (its
 * key evicted, a failover that lost its last increments). Reads and writes of the view refuse to go on.
 */
export function counterBehind(where: string, keys: RedisKeys, view: string, gen: number, counter: string): FeatureguardError {
  return new FeatureguardError(
    'online_store_inconsistent',
    `view '${view}' in the redis online store (${where}) holds records of write session ${gen} but its session counter is at ${counter}: the counter key was lost (evicted: run the online Redis with maxmemory-policy noeviction; or a failover lost its last writes). Reads and writes of the view are refused until its online values are rebuilt: run \`featureguard online drop ${view} --yes\` (it drops the view's keys under '${keys.prefix}' on every master and resets its session keys; reads answer NOT_FOUND meanwhile), then the command it prints (\`featureguard materialize --incremental --views ${view}\`)`,
    { status: 503, exitCode: 3, details: { view, record_gen: gen, counter } },
  );
}
