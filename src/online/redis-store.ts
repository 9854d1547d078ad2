/**
 * The Redis online store (standalone or Redis Cluster, via `ioredis`).
 *
 * Layout: one hash per (entity, view): `<prefix>{<key json>}:<view>`. The hash tag
 * is the entity key, so every view of one entity lives on one cluster slot. Reads
 * are `HMGET` per key, auto-pipelined: one round trip per node for a whole request
 * (two on a cluster: the sessions' snapshot is read before the records, see `read`).
 *
 * Atomic sessions without cross-slot transactions: every record carries the id
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
 * Failing fast: commands are not queued while Redis is unreachable (no offline
 * queue, one retry, a 2 s connect timeout); they fail at once with a
 * `FeatureguardError` `store_unavailable` (HTTP 503) while the client keeps
 * reconnecting in the background (at most every second). A Redis that is
 * connected but does not answer (stuck, a partition after connecting) fails a
 * command after 2 s with the same error.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { FeatureguardError, InputError } from '../errors.js';
import { redisAddress } from './redis-address.js';
import { isRedirect, sendAlone } from './redis-redirects.js';
import { authProblem, clusterCredentials, type RedisCredentialsConfig } from './redis-credentials.js';
import { redisUrlProblem } from './redis-url-query.js';
import { CERTIFICATE_PROBLEM, firstTlsProblem } from './redis-tls-probe.js';
import { asStoredEncoded, asStoredValue, checkVectorLengths, encodeKey, encodeValues, ProjectionCache, schemaHash, type RecordDecoder } from './record-codec.js';
import { processAlive, processBootHost, processHost } from '../state/process-host.js';
import { BEGIN_LUA, COMMIT_LUA, LOST_LUA, MARK_DEAD_LUA, MONOTONIC_WRITE_LUA, RENEW_LUA, ROLLBACK_LUA, SESSIONS_LUA } from './redis-scripts.js';
import type { BeginWriteOptions, OnlineKey, OnlineReadRequest, OnlineRow, OnlineStore, OnlineStoreStats, OnlineWriter, WriteResult } from './types.js';

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

/** How long a session may go without writing before readers and writers treat it as dead. */
const SESSION_LEASE_MS = 60_000;
const SESSION_HEARTBEAT_MS = 15_000;
const WRITE_CONCURRENCY = 2_000;
/** Keys per script call on a single node (a cluster gets one key per call: keys span slots). */
const KEYS_PER_CALL = 128;
/** Rounds of a write call (see `write`): each needs a session to begin and write the same keys in between. */
const WRITE_ROUNDS = 20;
/** Reads of an entity whose records all came from sessions begun after the read's snapshot (see `read`). */
const READ_ATTEMPTS = 3;
/** An aborted session with at most this many keys is rolled back and forgotten; a larger one just stays dead (invisible). */
const ROLLBACK_MAX_KEYS = 200_000;

type Client = Redis | Cluster;

/** Gens of the write sessions this process has open, by `viewTarget`: alive, whatever their lease says. */
const liveHere = new Map<string, Set<string>>();
interface ScriptClient {
  fgWrite(numKeys: number, ...keysThenArgs: string[]): Promise<number[]>;
  fgWrite1(key: string, ...args: string[]): Promise<number[]>;
  fgRollback(numKeys: number, ...keysThenGen: string[]): Promise<number>;
  fgRollback1(key: string, gen: string): Promise<number>;
  fgMarkDead(pendingKey: string, gen: string, staleWithinMs: string): Promise<number>;
  fgRenew(pendingKey: string, gen: string, leaseMs: string): Promise<number>;
  fgCommit(pendingKey: string, genKey: string, gen: string): Promise<number>;
  fgLost(genKey: string, pendingKey: string, gen: string): Promise<number>;
  fgBegin(genKey: string, pendingKey: string, ownersKey: string, leaseMs: string, owner: string, token: string): Promise<string>;
  fgSessions(genKey: string, pendingKey: string, own: string, mine: string): Promise<[string, string, string, string]>;
}

function parseNode(text: string, index: number): { host: string; port: number } {
  const m = /^(?:redis:\/\/)?\[?([^\]@/\s]+?)\]?:(\d+)$/.exec(text.trim());
  // Not quoted: a node written as a URL may carry a password (`redis://:pw@host:7000`), and messages reach logs.
  if (!m) throw new InputError(`invalid redis cluster node ${index + 1} (online_store.cluster[${index}]): use host:port, without a user or password (give those as online_store.username and password_env)`);
  return { host: m[1], port: Number(m[2]) };
}

function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

const CONNECT_TIMEOUT_MS = 2_000;
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
/** Server replies that mean "not serving right now" rather than "bad command". */
const UNAVAILABLE_REPLY = /^(LOADING|CLUSTERDOWN|MASTERDOWN|TRYAGAIN|MOVED|ASK)\b/;
/**
 * The error a caller sees when Redis cannot be reached: `store_unavailable`
 * (HTTP 503, exit 3) naming the store. Bugs and command errors pass through.
 */
export function storeUnavailable(e: unknown, where: string, lastError?: string): unknown {
  if (e instanceof FeatureguardError || e instanceof TypeError || e instanceof RangeError || e instanceof SyntaxError || e instanceof ReferenceError) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof Error && e.name === 'ReplyError' && /NOPERM|can't run this command/.test(message)) {
    return new FeatureguardError(
      'online_store_permission',
      `the Redis user of the online store (${where}) may not run a command featureguard needs: ${message.split('\n')[0]}; reads need read commands only, writers read, write and scripting commands and TIME (ACL: +@read +@write +@scripting +time)`,
      { status: 500, exitCode: 2, details: { store: 'redis', address: where }, cause: e },
    );
  }
  if (e instanceof Error && e.name === 'ReplyError' && !UNAVAILABLE_REPLY.test(message)) return e;
  const reason =
    message === COMMAND_TIMED_OUT ? `no answer within ${COMMAND_TIMEOUT_MS / 1000} s`
    : isRedirect(e) ? `${message.split('\n')[0]} (the cluster's slots moved: a master restarted, a failover or resharding)`
    : (lastError ?? message.split('\n')[0]);
  // Redis is running after a redirect: the slot map was refreshed, a retry goes to the nodes serving the slots now.
  // A certificate Node does not trust is no outage: Node's CA store lacks the CA that signed it.
  const advice = isRedirect(e) ? 'retry'
    : CERTIFICATE_PROBLEM.test(reason) ? "Node does not trust the server's TLS certificate: for a private CA, start featureguard with NODE_EXTRA_CA_CERTS=/path/to/ca.pem; else check the certificate (the names it is for)"
      : 'check that Redis is running and reachable';
  return new FeatureguardError('store_unavailable', `the redis online store (${where}) is unavailable: ${reason}; ${advice}`, {
    status: 503,
    exitCode: 3,
    details: { store: 'redis', address: where },
    cause: e,
  });
}

/** Gen of a record: the text before its first `|`. */
function genOf(rec: string): string {
  return rec.slice(0, rec.indexOf('|'));
}

export async function openRedisOnlineStore(options: RedisOnlineStoreOptions = {}): Promise<OnlineStore> {
  const prefix = options.key_prefix ?? 'featureguard:';
  if (/[{}]/.test(prefix)) throw new InputError(`online_store.key_prefix must not contain '{' or '}' (got '${prefix}')`);
  // A cluster's nodes as parsed (`host:port`), never as written: that may hold a user and password.
  const nodes = options.cluster?.length ? options.cluster.map((node, i) => parseNode(node, i)) : undefined;
  const where = nodes ? `cluster ${nodes.map((n) => `${n.host}:${n.port}`).join(',')}` : redisAddress(options.url ?? 'redis://127.0.0.1:6379');
  const urlProblem = options.cluster?.length ? undefined : redisUrlProblem(options.url ?? 'redis://127.0.0.1:6379');
  if (urlProblem !== undefined) throw new FeatureguardError('bad_online_store', `online_store.url ${urlProblem}`, { status: 500, exitCode: 2 });
  // Cluster nodes keep their own offline queue (ioredis connects them on first use); the cluster's is off.
  // The command timeout is a node option: a cluster sends every command through one of its nodes' clients.
  const nodeOptions: RedisOptions = { connectTimeout: CONNECT_TIMEOUT_MS, commandTimeout: COMMAND_TIMEOUT_MS, maxRetriesPerRequest: 1 };
  const client: Client = nodes
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
  const unavailable = (e: unknown) => storeUnavailable(e, where, client.status === 'ready' ? undefined : (lastError ?? `not connected (${client.status})`));
  /** ioredis's cluster slot map, asked for again (see `isRedirect`); a failure is the next command's to report. */
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
  client.defineCommand('fgWrite', { lua: MONOTONIC_WRITE_LUA });
  // A cluster routes by key: one key per call, with a declared key count.
  client.defineCommand('fgWrite1', { numberOfKeys: 1, lua: MONOTONIC_WRITE_LUA });
  client.defineCommand('fgRollback', { lua: ROLLBACK_LUA });
  client.defineCommand('fgRollback1', { numberOfKeys: 1, lua: ROLLBACK_LUA });
  client.defineCommand('fgMarkDead', { numberOfKeys: 1, lua: MARK_DEAD_LUA });
  client.defineCommand('fgRenew', { numberOfKeys: 1, lua: RENEW_LUA });
  client.defineCommand('fgCommit', { numberOfKeys: 2, lua: COMMIT_LUA });
  client.defineCommand('fgLost', { numberOfKeys: 2, lua: LOST_LUA });
  client.defineCommand('fgBegin', { numberOfKeys: 3, lua: BEGIN_LUA });
  client.defineCommand('fgSessions', { numberOfKeys: 2, lua: SESSIONS_LUA });
  const scripts = client as unknown as ScriptClient;
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    client.disconnect();
    // A TLS cluster drops its nodes' TLS errors (see `tlsProblem`): asked of the nodes directly.
    const tlsOptions = client instanceof Cluster ? client.options.redisOptions?.tls : undefined;
    const tls = nodes && tlsOptions && authProblem(e, where, options, lastError) === undefined ? await firstTlsProblem(nodes, tlsOptions) : undefined;
    throw authProblem(e, where, options, lastError) ?? storeUnavailable(e, where, tls ?? lastError);
  }
  const leaseMs = options.session_lease_ms ?? SESSION_LEASE_MS;
  const meta = `${prefix}{meta}`;

  /** Which database and whose keys this client is about to use; a refusal leaves the connection closed. */
  const checkTarget = async (): Promise<void> => {
    // ioredis goes on in database 0 when the URL's database does not exist: asked again here, so that such a
    // URL is an error rather than writes among another project's keys.
    const db = client instanceof Cluster ? 0 : (client.options.db ?? 0);
    if (db > 0) {
      await client.select(db).catch((e: unknown) => {
        throw new FeatureguardError('bad_online_store', `online_store.url selects Redis database ${db}, which ${where} does not have: ${(e as Error).message.split('\n')[0]}`, {
          status: 500, exitCode: 2, details: { db },
        });
      });
    }
    if (options.project === undefined) return;
    const ownerKey = `${meta}:project`;
    const owner = await guarded((async () => {
      // Read first: a read-only replica or user can serve a prefix that is claimed already; one that cannot
      // claim an unclaimed prefix goes on without (a writer of the project claims it).
      const claimed = await client.get(ownerKey);
      if (claimed !== null) return claimed;
      try {
        await client.set(ownerKey, options.project!, 'NX');
      } catch (e) {
        if (/READONLY|NOPERM/.test((e as Error).message)) return options.project!;
        throw e;
      }
      return client.get(ownerKey);
    })());
    if (owner !== options.project) {
      throw new FeatureguardError(
        'online_store_in_use',
        `the Redis key prefix '${prefix}' on ${where} holds the online values of project '${owner}'; give project '${options.project}' its own online_store.key_prefix (or, after renaming the project, DEL ${ownerKey})`,
        { status: 500, exitCode: 2, details: { key_prefix: prefix, owner } },
      );
    }
  };
  await checkTarget().catch((e: unknown) => {
    client.disconnect();
    throw e;
  });
  const entityKey = (view: string, key: OnlineKey) => `${prefix}{${encodeKey(key)}}:${view}`;
  const pendingKey = (view: string) => `${meta}:pending:${view}`;
  /** Gens of the exclusive (materialization) sessions of a view not yet ended. */
  const exclusiveKey = (view: string) => `${meta}:exclusive:${view}`;
  const countKey = (view: string) => `${meta}:count:${view}`;
  /** This store's sessions in `liveHere` (each entry takes its session out). */
  const openHere = new Set<() => void>();
  const counterBehind = (view: string, gen: number, counter: string) =>
    new FeatureguardError(
      'online_store_inconsistent',
      `view '${view}' in the redis online store (${where}) holds records of write session ${gen} but its session counter is at ${counter}: the counter key was lost (evicted: run the online Redis with maxmemory-policy noeviction; or a failover lost its last writes). Writes to the view are refused until its online values are rebuilt: delete its keys (patterns '${prefix}{*}:${view}' and '${prefix}{meta}:*:${view}') and materialize it again`,
      { status: 503, exitCode: 3, details: { view, record_gen: gen, counter } },
    );
  /** Where a view's sessions live, for `liveHere`: the server, the key prefix and the view. */
  const viewTarget = (view: string) => `${where}|${prefix}|${view}`;
  /** The writer process (`host#pid`) of each session begun, by gen, until a later session finds it ended. */
  const ownersKey = (view: string) => `${meta}:owners:${view}`;
  const genKey = (view: string) => `${meta}:gen:${view}`;
  const viewsKey = `${meta}:views`;
  const schemasKey = `${meta}:schemas`;
  const schemas = new Map<string, readonly string[]>();
  const projections = new ProjectionCache();

  const schemaOf = async (hash: string): Promise<readonly string[]> => {
    let s = schemas.get(hash);
    if (s === undefined) {
      const text = await client.hget(schemasKey, hash);
      s = text ? (JSON.parse(text) as string[]) : [];
      schemas.set(hash, s);
    }
    return s;
  };

  /** Decode a record with `make`; `undefined` when its schema is not cached yet (see `read`). */
  const decode = <T>(rec: string, features: readonly string[], make: RecordDecoder<T>): T | undefined => {
    const a = rec.indexOf('|');
    const b = rec.indexOf('|', a + 1);
    const c = rec.indexOf('|', b + 1);
    const d = rec.indexOf('|', c + 1);
    const hash = rec.slice(c + 1, d);
    const proj = projections.get(hash, schemas.get(hash), features);
    if (proj === undefined) return undefined;
    return make(rec.slice(d + 1), proj, Number(rec.slice(a + 1, b)), Number(rec.slice(b + 1, c)));
  };

  const recordSchema = (rec: string): string => {
    const c = rec.indexOf('|', rec.indexOf('|', rec.indexOf('|') + 1) + 1);
    return rec.slice(c + 1, rec.indexOf('|', c + 1));
  };

  /**
   * Pending gens of a view split into live (other sessions still writing) and dead, the last gen drawn when they
   * were read (`known`: a record of a greater gen is of a session begun since, and sends its row to another
   * round of `write`), and the writer's own state (`dead` once it was marked dead).
   */
  const pendingGens = async (view: string, own: string): Promise<{ live: string; dead: string; known: string; state: string }> => {
    // One script, as of one instant on the server's clock: sessions whose lease ran out are marked dead there.
    const mine = [...(liveHere.get(viewTarget(view)) ?? [])];
    const [known, live, dead, state] = await scripts.fgSessions(genKey(view), pendingKey(view), own, `,${mine.join(',')},`);
    return { live, dead, known, state };
  };

  /**
   * Sessions of the view whose writer process is gone (killed on this machine, in this boot and pid namespace:
   * a `kill -9`, an out-of-memory kill of a push or of `serve`) are marked dead at once, not when their lease runs out (60 s,
   * during which a retry of the same rows would have been skipped as not newer than the hidden records). Owners of
   * sessions that ended are forgotten. A session of another machine, boot or namespace is left to its lease
   * (and every session where the machine has no boot id to tell: not Linux).
   */
  const reapSessionsOfGoneProcesses = async (view: string, own: string): Promise<void> => {
    const [owners, pending] = await Promise.all([client.hgetall(ownersKey(view)), client.hgetall(pendingKey(view))]);
    const thisBoot = processBootHost();
    const ended: string[] = [];
    for (const [gen, owner] of Object.entries(owners)) {
      if (gen === own) continue;
      const state = pending[gen];
      if (state === undefined || state === '0') {
        ended.push(gen);
        continue;
      }
      const at = owner.lastIndexOf('#');
      const pid = Number(owner.slice(at + 1));
      if (at > 0 && thisBoot !== null && owner.slice(0, at) === thisBoot && pid !== process.pid && !processAlive(pid)) {
        await scripts.fgMarkDead(pendingKey(view), gen, '1e300');
        ended.push(gen);
      }
    }
    if (ended.length > 0) await client.hdel(ownersKey(view), ...ended);
  };

  /**
   * A cluster's one-key script call (a session's write or rollback of one entity) that a redirect refused (its
   * slot moved: MOVED, ASK, or its auto-pipeline batch split by moved slots), sent once more after the slot map
   * is refreshed, on its own so that ioredis follows a further MOVED/ASK of a reshard still under way: a
   * materialization survives a reshard instead of failing for its whole length. Safe within the session:
   * - a redirected call did not run (a node checks the key's slot before running anything; a batch split by
   *   moved slots is refused before it is sent), so the key was not written by it;
   * - the script is one key's atomic compare-and-set, run where the key now lives with the same session id and
   *   the same snapshot of the sessions as the first try: what a delay between reading the sessions and writing
   *   does anyway (a record of a session begun since sends the row to another round), so monotonicity and the
   *   session's invisibility until commit hold;
   * - were it to have run, running it again is a no-op: the key holds this session's record of the same
   *   timestamps and definitions (skipped), or a rollback finds no record of the session (nothing to undo).
   * A standalone Redis has no redirects: its calls are returned as they are.
   */
  const againIfRedirected = <T>(call: Promise<T>, key: string, lua: string, args: readonly string[]): Promise<T> =>
    !(client instanceof Cluster)
      ? call
      : call.catch(async (e: unknown) => {
          if (!isRedirect(e)) throw e;
          await refreshSlots();
          return sendAlone(client, 'eval', [lua, 1, key, ...args]) as Promise<T>;
        });

  const beginWriteRaw = async (view: string, features: readonly string[], options: BeginWriteOptions = {}): Promise<OnlineWriter> => {
    const hash = schemaHash(features, options.definition);
    const g = String(await scripts.fgBegin(genKey(view), pendingKey(view), ownersKey(view), String(leaseMs), `${processBootHost() ?? processHost()}#${process.pid}`, randomBytes(4).toString('hex')));
    await reapSessionsOfGoneProcesses(view, g);
    // A member of the view's exclusive set: the session's gen, and the lease domain it was opened under.
    const member = options.leaseDomain ? `${g}@${options.leaseDomain}` : g;
    if (options.exclusive) {
      // Under the view's lease no other exclusive session can be writing: one still pending failed before its
      // abort reached Redis (Redis was down, the process was killed). Marked dead now, before this session
      // writes, so that its hidden records are neither compared against (a retry would skip every row they
      // hold) nor shown later.
      const earlier = (await client.smembers(exclusiveKey(view))).filter((x) => x !== member);
      // A session of another lease domain (or of none) only once it stopped renewing: one renewed lately is
      // alive, writing from another state folder (whose leases this one cannot see), and is left alone.
      const staleWithin = String(leaseMs - Math.min(2 * SESSION_HEARTBEAT_MS, leaseMs / 2));
      for (const old of earlier) {
        const at = old.indexOf('@');
        const oldGen = at < 0 ? old : old.slice(0, at);
        const sameDomain = at >= 0 && options.leaseDomain !== undefined && old.slice(at + 1) === options.leaseDomain;
        await scripts.fgMarkDead(pendingKey(view), oldGen, sameDomain ? '1e300' : staleWithin);
        const state = await client.hget(pendingKey(view), oldGen);
        if (state === null || state === '0') await client.srem(exclusiveKey(view), old);
      }
      await client.sadd(exclusiveKey(view), member);
    }
    const leaveExclusive = async () => {
      if (options.exclusive) await client.srem(exclusiveKey(view), member);
    };
    await Promise.all([client.sadd(viewsKey, view), client.hsetnx(schemasKey, hash, JSON.stringify(features))]);
    let ended = false;
    let written = 0;
    let skipped = 0;
    let created = 0;
    let touched: string[] | null = [];
    // A session marked dead (a later materialization of the view took over) stays dead: renewing it fails.
    const takenOver = () => new FeatureguardError('session_taken_over', `the write session of view '${view}' was marked dead (it had stopped renewing its lease, or a later materialization of the view took it over); nothing of it is shown`, { status: 409, exitCode: 3, details: { view } });
    // Redis lost the session's pending entry (restarted without persistence, keys evicted or deleted): the session
    // is marked dead and the counter raised past it (LOST_LUA), and the run fails; nothing of it is shown.
    const lost = async () => {
      await scripts.fgLost(genKey(view), pendingKey(view), g).catch(() => undefined);
      return new FeatureguardError(
        'online_store_reset',
        `the redis online store (${where}) lost the write session of view '${view}' while it wrote (Redis restarted without persistence, or its keys were evicted or deleted); nothing of it is shown. Run it again: values of earlier runs lost with it are written again by the next --incremental run`,
        { status: 503, exitCode: 3, details: { view } },
      );
    };
    const renew = async () => {
      const renewed = await scripts.fgRenew(pendingKey(view), g, String(leaseMs));
      if (renewed === 0) throw takenOver();
      if (renewed === -1) throw await lost();
    };
    // Alive for this process's writers from here on (a begin that failed above is left to its lease), until it ends.
    const here = liveHere.get(viewTarget(view)) ?? new Set<string>();
    liveHere.set(viewTarget(view), here.add(g));
    const leaveHere = () => {
      here.delete(g);
      if (here.size === 0 && liveHere.get(viewTarget(view)) === here) liveHere.delete(viewTarget(view));
      openHere.delete(stopHere);
    };
    // On `close()` with the session still open: no more renewals, and no longer alive for this process.
    const stopHere = () => {
      clearInterval(heartbeat);
      leaveHere();
    };
    openHere.add(stopHere);
    const heartbeat = setInterval(() => void renew().catch(() => undefined), Math.min(SESSION_HEARTBEAT_MS, leaseMs / 4));
    heartbeat.unref();
    return {
      async write(rows: readonly OnlineRow[]): Promise<WriteResult> {
        if (ended) throw new Error('write session already ended');
        checkVectorLengths(view, features, rows);
        await renew();
        let w = 0;
        const perCall = client instanceof Cluster ? 1 : KEYS_PER_CALL;
        // Rows whose key held a record of a session begun after the sessions were read (a negative code) are written
        // again after reading them anew: the counter read then is at least that session's gen.
        let todo: readonly OnlineRow[] = rows;
        /** The greatest gen of the records that sent rows to another round. */
        let newest = 0;
        for (let round = 0; todo.length > 0; round++) {
          if (round >= WRITE_ROUNDS) {
            throw new FeatureguardError('write_contention', `the write session of view '${view}' kept meeting sessions begun after it read them (${todo.length} rows); write them again`, {
              status: 503, exitCode: 3, details: { view, rows: todo.length },
            });
          }
          const { live, dead, known, state } = await pendingGens(view, g);
          // Marked dead meanwhile (taken over, its lease run out while paused): not one more row.
          if (state === 'dead') throw takenOver();
          if (state === 'gone') throw await lost();
          // A record's gen above the counter read afresh: the counter went back (its key evicted, a failover that
          // lost its last increments). New sessions would draw gens of existing records, and raising the counter
          // could show a session whose pending entry was lost with it: refused, saying what to do.
          if (newest > Number(known)) throw counterBehind(view, newest, known);
          const again: OnlineRow[] = [];
          for (let i = 0; i < todo.length; i += WRITE_CONCURRENCY) {
            const part = todo.slice(i, i + WRITE_CONCURRENCY);
            const calls: Promise<number[]>[] = [];
            const groups: (readonly OnlineRow[])[] = [];
            for (let j = 0; j < part.length; j += perCall) {
              const group = part.slice(j, j + perCall);
              const keys = group.map((r) => entityKey(view, r.key));
              if (round === 0 && touched !== null) {
                if (touched.length + keys.length > ROLLBACK_MAX_KEYS) touched = null;
                else touched.push(...keys);
              }
              const args = [g, live, dead, known];
              for (const r of group) {
                const ets = String(Math.trunc(r.eventTs));
                const cts = String(Math.trunc(r.createdTs));
                args.push(ets, cts, `${g}|${ets}|${cts}|${hash}|${encodeValues(r.values, options.floats)}`);
              }
              groups.push(group);
              calls.push(
                perCall === 1
                  ? againIfRedirected(scripts.fgWrite1(keys[0], ...args), keys[0], MONOTONIC_WRITE_LUA, args)
                  : scripts.fgWrite(keys.length, ...keys, ...args),
              );
            }
            // Every call settles before a failure is reported: an abort must not race a write still in flight
            // (on a cluster each node answers on its own, and a command can be resent after a failover).
            const settled = await Promise.allSettled(calls);
            const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
            if (failed) throw failed.reason;
            settled.forEach((r, k) => {
              (r as PromiseFulfilledResult<number[]>).value.forEach((code, m) => {
                if (code === 1 || code === 2) w++;
                if (code === 2) created++;
                if (code < 0) {
                  again.push(groups[k][m]);
                  newest = Math.max(newest, -code);
                }
              });
            });
          }
          todo = again;
        }
        written += w;
        skipped += rows.length - w;
        return { written: w, skipped: rows.length - w };
      },
      async commit() {
        if (!ended) {
          ended = true;
          clearInterval(heartbeat);
          // The single command that makes the whole session visible (unless it was marked dead meanwhile).
          // Its owner entry goes with it (pipelined: one round trip). Alive for this process until it is done.
          const [committed] = await Promise.all([scripts.fgCommit(pendingKey(view), genKey(view), g), client.hdel(ownersKey(view), g)]).finally(leaveHere);
          turnSnapshots.delete(view);
          if (committed === 0) throw takenOver();
          if (committed === -1) throw await lost();
          await leaveExclusive();
          if (created > 0) await client.incrby(countKey(view), created);
        }
        return { written, skipped };
      },
      async abort() {
        if (ended) return;
        ended = true;
        clearInterval(heartbeat);
        leaveHere();
        // Dead first: readers hide the session's records from now on, whatever happens next.
        await Promise.all([client.hset(pendingKey(view), g, '0'), client.hdel(ownersKey(view), g)]);
        await leaveExclusive();
        if (touched === null) return;
        const keys = touched;
        const perCall = client instanceof Cluster ? 1 : KEYS_PER_CALL;
        for (let i = 0; i < keys.length; i += WRITE_CONCURRENCY) {
          const calls: Promise<number>[] = [];
          for (let j = i; j < Math.min(i + WRITE_CONCURRENCY, keys.length); j += perCall) {
            const group = keys.slice(j, Math.min(j + perCall, i + WRITE_CONCURRENCY, keys.length));
            calls.push(perCall === 1 ? againIfRedirected(scripts.fgRollback1(group[0], g), group[0], ROLLBACK_LUA, [g]) : scripts.fgRollback(group.length, ...group, g));
          }
          await Promise.all(calls);
        }
        await client.hdel(pendingKey(view), g);
      },
    };
  };

  const beginWrite = async (view: string, features: readonly string[], options?: BeginWriteOptions): Promise<OnlineWriter> => {
    const w = await guarded(beginWriteRaw(view, features, options));
    return { write: (rows) => guarded(w.write(rows)), commit: () => guarded(w.commit()), abort: () => guarded(w.abort()) };
  };

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
    const keys = client instanceof Cluster ? clusterEpochKeys(await client.cluster('SLOTS'), prefix) : [`${meta}:epoch`];
    const values = await Promise.all(
      keys.map(async (key) => {
        const found = await client.get(key);
        if (found !== null) return found;
        try {
          await client.set(key, randomBytes(16).toString('hex'), 'NX');
        } catch (e) {
          if (/READONLY|NOPERM/.test((e as Error).message)) return 'none';
          throw e;
        }
        return (await client.get(key))!;
      }),
    );
    return values.length === 1 ? values[0] : createHash('sha256').update(values.join(',')).digest('hex').slice(0, 32);
  };

  const stats = async (): Promise<OnlineStoreStats> => {
    const views = (await client.smembers(viewsKey)).sort();
    const counts = await Promise.all(views.map((v) => client.get(countKey(v))));
    return { type: 'redis', views: Object.fromEntries(views.map((v, i) => [v, { entities: Number(counts[i] ?? 0) }])) };
  };

  /** A view's snapshot of the sessions: the last gen drawn and the pending gens. */
  type Snapshot = [last: string | null, pending: string[]];
  /**
   * A view's snapshot of the sessions, shared by the reads of one turn of the
   * event loop: a busy server answers several requests per turn, and each took two commands for it. Every read
   * still asks for its records after the snapshot (queued behind it on one node, once it is in on a cluster),
   * which is all the protocol needs; a snapshot a turn old at most only shows the sessions as of that instant.
   * A commit through this store ends its view's (a later read of this process sees it at once).
   */
  const turnSnapshots = new Map<string, Promise<Snapshot>>();
  /**
   * The snapshots of the requests' views (in order): of those not taken this turn, the counters (one GET, or one
   * MGET for several views: all on the `{meta}` slot), then each one's HKEYS.
   */
  const snapshotsOf = (requests: readonly OnlineReadRequest[], fresh: boolean): Promise<Snapshot>[] => {
    const missing: string[] = [];
    for (const { view } of requests) if (fresh || !turnSnapshots.has(view)) missing.push(view);
    if (missing.length > 0) {
      if (turnSnapshots.size === 0) setImmediate(() => turnSnapshots.clear());
      const gens = missing.length > 1 ? client.mget(missing.map(genKey)) : undefined;
      missing.forEach((view, i) => {
        const s = Promise.all([gens ? gens.then((g) => g[i]) : client.get(genKey(view)), client.hkeys(pendingKey(view))]);
        s.catch(() => undefined); // each read awaits it and reports its failure
        turnSnapshots.set(view, s);
      });
    }
    return requests.map((r) => turnSnapshots.get(r.view)!);
  };

  /**
   * The records of each request's keys (per request, in order, `undefined` where none; a record of a session still
   * writing is hidden), decoded with `make`. The commands of all the requests go out together: one round trip for a
   * read of several views, as for one (two on a cluster, see below).
   */
  const read = async <T>(requests: readonly OnlineReadRequest[], make: RecordDecoder<T>, attempt = 1, redirected = false): Promise<(T | undefined)[][]> => {
    // Each view's sessions as of one instant, read before the records: the last gen drawn (GET, or one MGET for the
    // views of a read of several), then HKEYS of the pending ones, to the one node of `{meta}`. A session (which
    // draws its gen and lists itself pending in one script) begun after the counter was read has a greater gen,
    // hidden even where its records reach another node first; one begun before is pending in the HKEYS unless it
    // committed. Every record must be read after that instant: a record read before a session wrote it, beside the
    // session's commit seen in the snapshot, is a torn read (part of the session shown). One node runs a connection's
    // commands in order, so the records are pipelined right behind the snapshot (one round trip); a cluster's nodes
    // answer independently, so there the records are asked for once the snapshot is in (two round trips: the records
    // of one entity, all its views on one slot, in one batch). Plain read commands: a read-only Redis user can serve.
    // The reads of one turn of the event loop share a view's snapshot (`snapshotsOf`); a read again (below) takes a
    // fresh one.
    const n = requests.length;
    // One list of replies: the `n` snapshots, then the records of every request's keys in order.
    const calls: Promise<Snapshot | (string | null)[]>[] = snapshotsOf(requests, attempt > 1 || redirected);
    // Read again after a redirect, a cluster's keys go one command each, which ioredis redirects on its own (MOVED,
    // ASK): a reshard still under way would split an auto-pipeline batch again (see `isRedirect`).
    const alone = redirected && client instanceof Cluster;
    const readRecords = () => {
      for (const { view, keys } of requests) {
        for (const k of keys) calls.push(alone ? (sendAlone(client, 'hmget', [entityKey(view, k), 'c', 'p']) as Promise<(string | null)[]>) : client.hmget(entityKey(view, k), 'c', 'p'));
      }
      return Promise.all(calls);
    };
    let got: (Snapshot | (string | null)[])[];
    try {
      got = await guarded(client instanceof Cluster ? Promise.all(calls).then(readRecords) : readRecords());
    } catch (e) {
      // A cluster slot moved: `guarded` refreshed the slot map; read again once (a fresh snapshot too) before a 503.
      if (redirected || !(e instanceof FeatureguardError) || !isRedirect(e.cause)) throw e;
      return read(requests, make, attempt, true);
    }
    const out = new Array<(T | undefined)[]>(n);
    /** Requests whose entities need reading again: see below. */
    const again: number[] = [];
    for (let q = 0, at = n; q < n; at += requests[q].keys.length, q++) {
      const { view, features, keys } = requests[q];
      const [last, pending] = got[q] as Snapshot;
      const lastGen = Number(last ?? 0);
      const pendingSet = pending.length > 0 ? new Set(pending) : null;
      // A session's id is `<gen>.<token>` (older versions wrote the gen alone): ordered by the gen.
      const later = (rec: string) => Number.parseInt(genOf(rec), 10) > lastGen;
      const hidden = (rec: string) => later(rec) || (pendingSet !== null && pendingSet.has(genOf(rec)));
      // A record of a gen drawn after the snapshot: a session begun since, or a counter that went back (its key
      // evicted, a failover that lost its last increments), which would hide the view's newest values for good
      // (every entity "not found" when the key is gone). A gen is drawn before its records are written, so a
      // counter read after them and still below one went back: refused, as writes are, rather than served.
      let newest = 0;
      for (let i = at; i < at + keys.length; i++) {
        for (const rec of got[i] as (string | null)[]) if (rec !== null && later(rec)) newest = Math.max(newest, Number.parseInt(genOf(rec), 10));
      }
      if (newest > 0) {
        const counter = (await guarded(client.get(genKey(view)))) ?? '0';
        if (newest > Number(counter)) throw counterBehind(view, newest, counter);
      }
      const rows = new Array<T | undefined>(keys.length).fill(undefined);
      let readAgain = false;
      for (let i = 0; i < keys.length; i++) {
        const [c, p] = got[at + i] as (string | null)[];
        let rec = c;
        if (rec !== null && hidden(rec)) {
          rec = p !== null && !hidden(p) ? p : null;
          // Nothing to show, although the entity may have a value: `p` is hidden too (the value a writer saw when it
          // wrote `c`: its session committed after the snapshot, so the value the snapshot saw is no longer kept), or
          // `c` comes from a session begun after the snapshot. Sessions committed and wrote between the snapshot
          // and the record read (a cluster's second round trip, a pause of this process): not "not found", read it
          // again with a fresh snapshot (twice at most; each time needs sessions to slip in between). Only a `c`
          // of a session pending at the snapshot, with no `p`, is an entity that had no value then.
          if (rec === null && attempt < READ_ATTEMPTS && (p !== null || later(c!))) readAgain = true;
        }
        if (rec === null) continue;
        let v = decode(rec, features, make);
        if (v === undefined) {
          await guarded(schemaOf(recordSchema(rec)));
          v = decode(rec, features, make);
        }
        rows[i] = v;
      }
      out[q] = rows;
      if (readAgain) again.push(q);
    }
    if (again.length === 0) return out;
    // All the request's keys again, not just those: every entity of a view's answer as of one snapshot (a session
    // that wrote two of them must not show in one only). Each view has its own sessions: only these go again.
    const reread = await read(again.map((q) => requests[q]), make, attempt + 1);
    again.forEach((q, i) => (out[q] = reread[i]));
    return out;
  };

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
    dropView: (view) => guarded(dropView(view)),
    stats: () => guarded(stats()),
    epoch: () => guarded(epoch()),
    async close() {
      // Sessions left open can neither renew nor commit from now on: no longer alive for this process's writers.
      for (const stop of [...openHere]) stop();
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/** Cluster slot of a hash tag: CRC16 (XMODEM) of it, modulo 16384, as Redis computes it. */
export function slotOfTag(tag: string): number {
  let crc = 0;
  for (const byte of Buffer.from(tag)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/** A range of `CLUSTER SLOTS`: first and last slot, then the master (host, port, node id) and its replicas. */
type SlotRange = [number, number, [string, number, string?, ...unknown[]], ...unknown[]];

/**
 * One epoch key per master of a cluster (`CLUSTER SLOTS`' answer): `<prefix>{epoch:<i>}:sentinel` with the least
 * `i` whose tag maps to one of the master's slots, so that a master's loss takes its key with it. The same
 * masters serving the same slots (a failover to a replica among them) choose the same keys. Not named like an
 * entity's key (`}:<view>`), which dropping a view deletes.
 */
export function clusterEpochKeys(ranges: unknown, prefix: string): string[] {
  const byMaster = new Map<string, [number, number][]>();
  for (const [lo, hi, [host, port, id]] of ranges as SlotRange[]) {
    const master = id ?? `${host}:${port}`;
    byMaster.set(master, [...(byMaster.get(master) ?? []), [lo, hi]]);
  }
  const keys: string[] = [];
  for (const slots of byMaster.values()) {
    // Every slot is some `epoch:<i>`'s within a few hundred thousand tries; the bound keeps a bug from looping.
    for (let i = 0; i < 1 << 22; i++) {
      const slot = slotOfTag(`epoch:${i}`);
      if (slots.some(([lo, hi]) => slot >= lo && slot <= hi)) {
        keys.push(`${prefix}{epoch:${i}}:sentinel`);
        break;
      }
    }
  }
  return keys.sort();
}
