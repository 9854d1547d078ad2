/**
 * The Redis online store's connection: the options, the `ioredis` client for a single node or a Redis Cluster,
 * failing fast while Redis is unreachable, and the errors callers see then.
 *
 * Commands are not queued while Redis is unreachable (no offline queue, one retry, a 2 s connect timeout); they
 * fail at once with a `FeatureguardError` `store_unavailable` (HTTP 503) while the client keeps reconnecting in
 * the background (at most every second). A Redis that is connected but does not answer (stuck, a partition after
 * connecting) fails a command after 2 s with the same error.
 *
 * @example
 * const conn = await connectRedis({ url: 'redis://127.0.0.1:6379' }, redisKeys('featureguard:'));
 * const value = await conn.guarded(conn.client.get(key)); // a 503 FeatureguardError when Redis is down
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { FeatureguardError, InputError } from '../errors.js';
import { redisAddress } from './redis-address.js';
import { isRedirect } from './redis-redirects.js';
import { authProblem, clusterCredentials, type RedisCredentialsConfig } from './redis-credentials.js';
import { redisUrlProblem } from './redis-url-query.js';
import { CERTIFICATE_PROBLEM, NO_TLS_HANDSHAKE, firstTlsProblem } from './redis-tls-probe.js';
import { defineScripts, type ScriptClient } from './redis-scripts.js';
import type { RedisKeys } from './redis-keys.js';

export interface RedisOnlineStoreOptions extends RedisCredentialsConfig {
  /** `redis://host:port/db` for a single node. Default `redis://127.0.0.1:6379`. */
  readonly url?: string;
  /** Cluster seed nodes `host:port`; when set, `url` is ignored. */
  readonly cluster?: readonly string[];
  /** Prefix of every key (share one Redis between projects with different prefixes). Default `featureguard:`. */
  readonly key_prefix?: string;
  /** How long a write session stays pending without a heartbeat before it counts as crashed (default 60 s; tests shorten it). */
  readonly session_lease_ms?: number;
  /**
   * The project opening the store: the first one to use a key prefix owns it, and another project opening
   * it is refused (two projects under one prefix read each other's values and drop each other's views).
   */
  readonly project?: string;
}

/** A connected store's client, its scripts, and how its failures reach callers. */
export interface RedisConnection {
  readonly client: Redis | Cluster;
  /** The same client with the store's scripts (redis-scripts.ts). */
  readonly scripts: ScriptClient;
  /** The store's address for messages (never a password). */
  readonly where: string;
  /** `p`, failing with `storeUnavailable`'s error; after a redirect, once the slot map is asked for again. */
  readonly guarded: <T>(p: Promise<T>) => Promise<T>;
  /** ioredis's cluster slot map, asked for again (see `isRedirect`); a failure is the next command's to report. */
  readonly refreshSlots: () => Promise<void>;
}

const CONNECT_TIMEOUT_MS = 2_000;
/**
 * How long `disconnect()` waits for the socket to close before destroying it. ioredis waits 2 s by default on a
 * timer that only the socket's `close` clears, and a socket whose connection was refused has closed already: after
 * a failed connect (or a close once Redis went away), that timer alone kept a script, `online get` or a cron run
 * alive 2 s. Disconnecting drops pending replies anyway; a graceful close is `quit()` (redis-store.ts).
 */
const DISCONNECT_TIMEOUT_MS = 0;
/**
 * How long a command may wait for its answer. Without it a connected Redis that stops answering (SIGSTOP, a
 * partition after connecting) holds every read and scrape until it answers again: the socket stays open, so
 * nothing else notices. Generous next to a command's normal milliseconds, so a busy event loop does not trip it.
 */
const COMMAND_TIMEOUT_MS = 2_000;
/** ioredis's rejection of a command that outlived `commandTimeout`. */
const COMMAND_TIMED_OUT = 'Command timed out';
/** Tries of one command on a cluster whose slots move or are down, and the wait between them (see `new Cluster`). */
const CLUSTER_MAX_REDIRECTIONS = 5;
const CLUSTER_RETRY_DELAY_MS = 50;
/** How long asking a cluster node for the slot map may take before the next node is asked. */
const CLUSTER_SLOTS_REFRESH_TIMEOUT_MS = 500;
/** Reconnect delay: grows to at most a second, forever (the store comes back when Redis does). */
const retryDelay = (times: number): number => Math.min(times * 100, 1_000);
/**
 * How long opening the store waits for a Redis that answers LOADING (loading its RDB or AOF after a restart), and
 * how often it asks meanwhile. Before the connection's PING was removed, ioredis's ready check waited for the
 * load; without a wait `serve` and every CLI command exited 3 within seconds of a Redis restart.
 */
const LOADING_WAIT_MS = 60_000;
const LOADING_POLL_MS = 250;
/** A Redis reply saying it is loading its dataset and serves nothing yet. */
const LOADING_REPLY = /^LOADING\b/;
/** Server replies that mean "not serving right now" rather than "bad command". */
const UNAVAILABLE_REPLY = /^(LOADING|CLUSTERDOWN|MASTERDOWN|TRYAGAIN|MOVED|ASK)\b/;

function parseNode(text: string, index: number): { host: string; port: number } {
  const m = /^(?:redis:\/\/)?\[?([^\]@/\s]+?)\]?:(\d+)$/.exec(text.trim());
  // Not quoted: a node written as a URL may carry a password (`redis://:pw@host:7000`), and messages reach logs.
  if (!m) throw new InputError(`invalid redis cluster node ${index + 1} (online_store.cluster[${index}]): use host:port, without a user or password (give those as online_store.username and password_env)`);
  return { host: m[1], port: Number(m[2]) };
}

/** A Redis reply refusing a command to the connection's user. */
const PERMISSION_REPLY = /NOPERM|can't run this command/;

/**
 * The reply refusing a command to the store's user, when that is why `e` failed: the command's own reply, or on a
 * cluster the last node's reply behind "Failed to refresh slots cache." (`lastNodeError`, or the client's last
 * error while not connected): a user without `cluster|slots` read as an outage.
 */
function permissionReply(e: unknown, lastError: string | undefined): string | undefined {
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof Error && e.name === 'ReplyError' && PERMISSION_REPLY.test(message)) return message.split('\n')[0];
  const nodeError = (e as { lastNodeError?: Error } | null)?.lastNodeError?.message;
  for (const text of [nodeError, lastError]) {
    const line = text?.split('\n')[0];
    if (line !== undefined && PERMISSION_REPLY.test(line)) return /\((NOPERM[^)]*)\)/.exec(line)?.[1] ?? line;
  }
  return undefined;
}

/** The cluster node a failure came from, set by `failedOn`. */
const FAILED_NODE = Symbol('featureguard.redisNode');

/**
 * `e`, marked as the failure of the command sent to the cluster node `node` (`host:port`): `storeUnavailable`
 * names the node. Its message is left as it is: the classification reads it (`LOADING`, `CLUSTERDOWN`, a timeout).
 */
export function failedOn(e: unknown, node: string): unknown {
  if (e instanceof Error) Object.defineProperty(e, FAILED_NODE, { value: node, configurable: true });
  return e;
}

/**
 * The error a caller sees when Redis cannot be reached: `store_unavailable`
 * (HTTP 503, exit 3) naming the store. Bugs and command errors pass through.
 */
export function storeUnavailable(e: unknown, where: string, lastError?: string, nodesDown?: string): unknown {
  if (e instanceof FeatureguardError || e instanceof TypeError || e instanceof RangeError || e instanceof SyntaxError || e instanceof ReferenceError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const refused = permissionReply(e, lastError);
  if (refused !== undefined) {
    return new FeatureguardError(
      'online_store_permission',
      `the Redis user of the online store (${where}) may not run a command featureguard needs: ${refused}; reads need read commands only, writers read, write and scripting commands and TIME (ACL: ~<prefix>* +@read for readers, +@read +@write +@scripting +time for writers; on a cluster also +cluster|slots)`,
      { status: 500, exitCode: 2, details: { store: 'redis', address: where }, cause: e },
    );
  }
  if (e instanceof Error && e.name === 'ReplyError' && !UNAVAILABLE_REPLY.test(message)) return e;
  const node = e instanceof Error ? (e as { [FAILED_NODE]?: string })[FAILED_NODE] : undefined;
  const reason = (node === undefined ? '' : `${node}: `) + (
    message === COMMAND_TIMED_OUT ? `no answer within ${COMMAND_TIMEOUT_MS / 1000} s`
    : isRedirect(e) ? `${message.split('\n')[0]} (the cluster's slots moved: a master restarted, a failover or resharding)`
    : (lastError ?? message.split('\n')[0]) + (nodesDown ? ` (${nodesDown})` : ''));
  // Redis is running after a redirect: the slot map was refreshed, a retry goes to the nodes serving the slots now.
  // A certificate Node does not trust is no outage: Node's CA store lacks the CA that signed it.
  const advice = isRedirect(e) ? 'retry'
    : LOADING_REPLY.test(reason) ? 'retry once loaded (a restarted Redis reads its RDB or AOF first)'
    : CERTIFICATE_PROBLEM.test(reason) ? "Node does not trust the server's TLS certificate: for a private CA, start featureguard with NODE_EXTRA_CA_CERTS=/path/to/ca.pem; else check the certificate (the names it is for)"
      : NO_TLS_HANDSHAKE.test(reason) ? 'for a server without TLS use redis:// (a cluster: drop tls: true)'
      : 'check that Redis is running and reachable';
  return new FeatureguardError('store_unavailable', `the redis online store (${where}) is unavailable: ${reason}; ${advice}`, {
    status: 503,
    exitCode: 3,
    details: { store: 'redis', address: where },
    cause: e,
  });
}

/**
 * `command()`'s answer, asked again every `LOADING_POLL_MS` while Redis answers LOADING, for at most
 * `LOADING_WAIT_MS` (then its LOADING error); one warning says why the process waits.
 */
async function whileLoading<T>(command: () => Promise<T>, where: string): Promise<T> {
  const until = Date.now() + LOADING_WAIT_MS;
  let warned = false;
  for (;;) {
    try {
      return await command();
    } catch (e) {
      if (!(e instanceof Error && e.name === 'ReplyError' && LOADING_REPLY.test(e.message)) || Date.now() >= until) throw e;
      if (!warned) {
        warned = true;
        process.emitWarning(`Redis is loading its dataset; waiting (the online store ${where}, up to ${LOADING_WAIT_MS / 1000} s)`, { type: 'FeatureguardWarning', code: 'FEATUREGUARD_REDIS_LOADING' });
      }
      await new Promise((r) => setTimeout(r, LOADING_POLL_MS));
    }
  }
}

/** Connection states of a cluster node that is not serving: gone, or trying to connect again. */
const NODE_DOWN = new Set(['connecting', 'reconnecting', 'close', 'end']);

/**
 * The masters of a cluster's slot map whose connection is down (dropped from the client's pool, or not
 * connected): for messages, where ioredis says only `Connection is closed.`, naming no node. Undefined when none.
 * A node never used yet (`wait`) is not counted.
 */
function mastersDown(client: Cluster): string | undefined {
  const status = new Map(client.nodes('master').map((n) => [`${n.options.host}:${n.options.port}`, n.status]));
  const down = [...new Set(client.slots.map((s) => s?.[0]).filter((k): k is string => k !== undefined))]
    .filter((key) => !status.has(key) || NODE_DOWN.has(status.get(key)!))
    .sort();
  return down.length === 0 ? undefined : `master ${down.join(', ')} not connected`;
}

/**
 * `key`'s value, set first to `value()` when it has none (SET NX: where another client set it meanwhile, its value
 * is the answer). Read first: a read-only Redis user or replica (which serves reads) may not write, and gets
 * `readOnly` for a key that is missing.
 */
export async function readOrClaim(client: Redis | Cluster, key: string, value: () => string, readOnly: string): Promise<string | null> {
  const found = await client.get(key);
  if (found !== null) return found;
  try {
    await client.set(key, value(), 'NX');
  } catch (e) {
    if (/READONLY|NOPERM/.test((e as Error).message)) return readOnly;
    throw e;
  }
  return client.get(key);
}

/**
 * Connect to the Redis of `options` (a single node, or a cluster when `options.cluster` is set) and check it is
 * the store's: the URL's database exists, and the key prefix is `options.project`'s (claimed when unclaimed).
 * Fails with a `FeatureguardError` naming the store, the client closed.
 */
export async function connectRedis(options: RedisOnlineStoreOptions, keys: RedisKeys): Promise<RedisConnection> {
  // A cluster's nodes as parsed (`host:port`), never as written: that may hold a user and password.
  const nodes = options.cluster?.length ? options.cluster.map((node, i) => parseNode(node, i)) : undefined;
  const where = nodes ? `cluster ${nodes.map((n) => `${n.host}:${n.port}`).join(',')}` : redisAddress(options.url ?? 'redis://127.0.0.1:6379');
  const urlProblem = options.cluster?.length ? undefined : redisUrlProblem(options.url ?? 'redis://127.0.0.1:6379');
  if (urlProblem !== undefined) throw new FeatureguardError('bad_online_store', `online_store.url ${urlProblem}`, { status: 500, exitCode: 2 });
  // Cluster nodes keep their own offline queue (ioredis connects them on first use); the cluster's is off.
  // The command timeout is a node option: a cluster sends every command through one of its nodes' clients.
  // No ready check (INFO): a user with the README's ACLs may not run INFO, and ioredis then printed "Skipping the
  // ready check because INFO command fails: NOPERM" on stderr per connection; the store checks the connection itself.
  const nodeOptions: RedisOptions = { connectTimeout: CONNECT_TIMEOUT_MS, disconnectTimeout: DISCONNECT_TIMEOUT_MS, commandTimeout: COMMAND_TIMEOUT_MS, maxRetriesPerRequest: 1, enableReadyCheck: false };
  const client = nodes
    ? new Cluster(nodes, {
        enableAutoPipelining: true,
        // Ready once the slot map is read, not once CLUSTER INFO says `cluster_state:ok`: with a master down that
        // never came, and every process started meanwhile (`serve`, `materialize`, `online get`) hung opening the
        // store, where the slots still up serve and the others fail fast.
        enableReadyCheck: false,
        enableOfflineQueue: false,
        lazyConnect: true,
        clusterRetryStrategy: retryDelay,
        // Slots down (a master gone, no replica to take over) fail within about a second, as a single node does:
        // ioredis's defaults retry a closed connection or CLUSTERDOWN 16 times, 100 ms apart (1.7 to 3.6 s a read).
        // A few tries, 50 ms apart, still follow a reshard's MOVED then ASK, and ride out a slot map refresh.
        maxRedirections: CLUSTER_MAX_REDIRECTIONS,
        retryDelayOnFailover: CLUSTER_RETRY_DELAY_MS,
        retryDelayOnClusterDown: CLUSTER_RETRY_DELAY_MS,
        retryDelayOnTryAgain: CLUSTER_RETRY_DELAY_MS,
        slotsRefreshTimeout: CLUSTER_SLOTS_REFRESH_TIMEOUT_MS,
        redisOptions: { ...nodeOptions, ...clusterCredentials(options) },
        // Over TLS the nodes are reached by the names given (not resolved first), which their certificates name.
        ...(options.tls ? { dnsLookup: (address: string, callback: (err: null, address: string) => void) => callback(null, address) } : {}),
      } satisfies ClusterOptions)
    : new Redis(options.url ?? 'redis://127.0.0.1:6379', {
        ...nodeOptions,
        enableAutoPipelining: true,
        enableOfflineQueue: false,
        lazyConnect: true,
        retryStrategy: retryDelay,
      });
  // Why the connection is down, for messages; also keeps ioredis from logging "Unhandled error event".
  let lastError: string | undefined;
  client.on('error', (e: Error) => {
    lastError = e.message.split('\n')[0];
    // A cluster's "Failed to refresh slots cache." hides why: the last node's reply (NOAUTH, a refused connection).
    const nodeError = (e as { lastNodeError?: Error }).lastNodeError;
    if (nodeError) lastError = `${lastError} (${nodeError.message.split('\n')[0]})`;
  });
  client.on('ready', () => {
    lastError = undefined;
  });
  const unavailable = (e: unknown) =>
    storeUnavailable(e, where, client.status === 'ready' ? undefined : (lastError ?? `not connected (${client.status})`), client instanceof Cluster ? mastersDown(client) : undefined);
  const refreshSlots = (): Promise<void> =>
    new Promise((resolve) => {
      if (client instanceof Cluster) client.refreshSlotsCache(() => resolve());
      else resolve();
    });
  const guarded = <T>(p: Promise<T>): Promise<T> =>
    p.catch(async (e: unknown) => {
      // Before answering: the next command (an abort's rollback, the caller's retry) goes to the right node.
      if (isRedirect(e)) await refreshSlots();
      throw unavailable(e);
    });
  const scripts = defineScripts(client);
  try {
    await client.connect();
    // A read, not PING (a `@connection` command, which the README's ACLs `+@read` and `+@read +@write +@scripting
    // +time` do not grant: every reader and writer with them was refused `NOPERM … 'ping'`). The key is the
    // store's own, so a user limited to `~<prefix>*` may read it. A cluster answered `CLUSTER SLOTS` to connect,
    // and a read would reach `{meta}`'s master only: a store opened while another master is down opens. A Redis
    // loading its dataset answers LOADING to the read: waited for, as ioredis's ready check did.
    if (!(client instanceof Cluster)) await whileLoading(() => client.get(keys.projectKey), where);
  } catch (e) {
    client.disconnect();
    // A TLS cluster drops its nodes' TLS errors (see `tlsProblem`): asked of the nodes directly. A single node over
    // TLS that timed out may be a plain Redis, which takes the connection and never answers the handshake.
    const tlsOptions = client instanceof Cluster ? client.options.redisOptions?.tls : client.options.tls;
    const targets = nodes ?? (client instanceof Cluster || !/ETIMEDOUT|timed out/i.test(lastError ?? (e as Error).message ?? '') ? undefined : [{ host: client.options.host ?? '127.0.0.1', port: client.options.port ?? 6379 }]);
    const tls = targets && tlsOptions && authProblem(e, where, options, lastError) === undefined ? await firstTlsProblem(targets, tlsOptions) : undefined;
    throw authProblem(e, where, options, lastError) ?? storeUnavailable(e, where, tls ?? lastError);
  }
  const conn: RedisConnection = { client, scripts, where, guarded, refreshSlots };
  await checkTarget(conn, keys, options.project).catch((e: unknown) => {
    client.disconnect();
    throw e;
  });
  return conn;
}

/** Which database and whose keys the client is about to use (see `connectRedis`). */
async function checkTarget({ client, where, guarded }: RedisConnection, keys: RedisKeys, project: string | undefined): Promise<void> {
  // ioredis goes on in database 0 when the URL's database does not exist: asked again here, so that such a
  // URL is an error rather than writes among another project's keys.
  const db = client instanceof Cluster ? 0 : (client.options.db ?? 0);
  if (db > 0) {
    await client.select(db).catch((e: unknown) => {
      // SELECT is a `@connection` command: a user without it may not switch, whatever databases there are.
      if (permissionReply(e, undefined) !== undefined) throw storeUnavailable(e, where);
      throw new FeatureguardError('bad_online_store', `online_store.url selects Redis database ${db}, which ${where} does not have: ${(e as Error).message.split('\n')[0]}`, {
        status: 500, exitCode: 2, details: { db },
      });
    });
  }
  if (project === undefined) return;
  // A read-only replica or user can serve a prefix that is claimed already; one that cannot claim an unclaimed
  // prefix goes on without (a writer of the project claims it).
  const owner = await guarded(readOrClaim(client, keys.projectKey, () => project, project));
  if (owner !== project) {
    throw new FeatureguardError(
      'online_store_in_use',
      `the Redis key prefix '${keys.prefix}' on ${where} holds the online values of project '${owner}'; give project '${project}' its own online_store.key_prefix (or, after renaming the project, DEL ${keys.projectKey})`,
      { status: 500, exitCode: 2, details: { key_prefix: keys.prefix, owner } },
    );
  }
}
