/**
 * The Redis online store's reads (the serving hot path): each view's snapshot of the write sessions, then the
 * records of the keys, a record of a session not committed as of the snapshot hidden behind the value readers
 * saw before it (`p`), decoded by the caller's `RecordDecoder`.
 *
 * Reads are `HMGET` per key, pipelined (one write per turn of the event loop, see `corkedSender`; on a cluster
 * ioredis's auto-pipeline): one round trip per node for a whole request (two on a cluster: the sessions' snapshot
 * is read before the records, see `read`). Plain read commands: a read-only Redis user can serve.
 *
 * @example
 * const { read } = createRedisReader(conn, redisKeys('featureguard:'));
 * const [rows] = await read([{ view: 'driver_stats', features: ['trips'], keys: [[1001]] }], asStoredValue);
 */
import { Cluster, Command, type Redis } from 'ioredis';
import { FeatureguardError } from '../errors.js';
import { ProjectionCache, type RecordDecoder } from './record-codec.js';
import type { RedisConnection } from './redis-connection.js';
import { counterBehind, genOf, recordSchema, type RedisKeys } from './redis-keys.js';
import { isRedirect, sendAlone } from './redis-redirects.js';
import type { OnlineKey, OnlineReadRequest } from './types.js';

/** Reads of an entity whose records all came from sessions begun after the read's snapshot (see `read`). */
const READ_ATTEMPTS = 3;

/** A view's snapshot of the sessions: the last gen drawn and the pending gens. */
type Snapshot = [last: string | null, pending: string[]];

/** The commands a read sends (see `createRedisReader`). */
interface Commands {
  get(key: string): Promise<string | null>;
  mget(keys: string[]): Promise<(string | null)[]>;
  hkeys(key: string): Promise<string[]>;
  hget(key: string, field: string): Promise<string | null>;
  hmget(key: string, ...fields: string[]): Promise<(string | null)[]>;
}

/** The read commands sent by `send` (a command's name and arguments; its reply as text). */
function commandsVia(send: (name: string, args: string[]) => Promise<unknown>): Commands {
  return {
    get: (key) => send('get', [key]) as Promise<string | null>,
    mget: (keys) => send('mget', keys) as Promise<(string | null)[]>,
    hkeys: (key) => send('hkeys', [key]) as Promise<string[]>,
    hget: (key, field) => send('hget', [key, field]) as Promise<string | null>,
    hmget: (key, ...fields) => send('hmget', [key, ...fields]) as Promise<(string | null)[]>,
  };
}

/**
 * Commands to one Redis node written straight to its connection, outside ioredis's auto-pipeline: its promise,
 * callback and `nextTick` per command and its pipeline per batch took about half the CPU of a read (of one entity,
 * one view or five). The socket is corked until the end of the turn of the event loop, so the turn's commands
 * still leave in one write, as an auto-pipeline batch did; on the one connection, sent and answered in order.
 */
function corkedSender(client: Redis): (name: string, args: string[]) => Promise<unknown> {
  let corked: Redis['stream'] | undefined;
  const uncork = () => {
    corked?.uncork();
    corked = undefined;
  };
  return (name, args) => {
    if (corked === undefined && client.status === 'ready') {
      corked = client.stream;
      corked.cork();
      setImmediate(uncork);
    }
    return client.sendCommand(new Command(name, args, { replyEncoding: 'utf8' })) as Promise<unknown>;
  };
}

/** A store's reads: `read`, and `forgetSnapshot` for a commit of this store (a later read of this process sees it at once). */
export interface RedisReader {
  read<T>(requests: readonly OnlineReadRequest[], make: RecordDecoder<T>): Promise<(T | undefined)[][]>;
  forgetSnapshot(view: string): void;
}

/** The reads of the store behind `conn` (see the module comment). */
export function createRedisReader({ client, where, guarded }: RedisConnection, layout: RedisKeys): RedisReader {
  const { entityPrefix, genKey, pendingKey, schemasKey } = layout;
  const schemas = new Map<string, readonly string[]>();
  const projections = new ProjectionCache();

  /**
   * The read commands: on one node each written to the connection at once, in one write per turn (`corkedSender`);
   * on a cluster auto-pipelined (ioredis groups them by node), or each sent on its own, for a read again after a
   * redirect (see `read`).
   */
  const direct = client instanceof Cluster ? undefined : commandsVia(corkedSender(client));
  const pipelined: Commands = direct ?? {
    get: (key) => client.get(key),
    mget: (keys) => client.mget(keys),
    hkeys: (key) => client.hkeys(key),
    hget: (key, field) => client.hget(key, field),
    hmget: (key, ...fields) => client.hmget(key, ...fields),
  };
  const single = commandsVia((name, args) => sendAlone(client, name, args));

  const schemaOf = async (hash: string, send: Commands): Promise<readonly string[]> => {
    let s = schemas.get(hash);
    if (s === undefined) {
      const text = await send.hget(schemasKey, hash);
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
  const snapshotsOf = (requests: readonly OnlineReadRequest[], fresh: boolean, send: Commands): Promise<Snapshot>[] => {
    const missing: string[] = [];
    for (const { view } of requests) if (fresh || !turnSnapshots.has(view)) missing.push(view);
    if (missing.length > 0) {
      if (turnSnapshots.size === 0) setImmediate(() => turnSnapshots.clear());
      const gens = missing.length > 1 ? send.mget(missing.map(genKey)) : undefined;
      missing.forEach((view, i) => {
        const s = Promise.all([gens ? gens.then((g) => g[i]) : send.get(genKey(view)), send.hkeys(pendingKey(view))]);
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
    // Read again after a redirect, every command on a cluster goes on its own, which ioredis redirects itself (MOVED,
    // ASK): in an auto-pipeline batch, beside other requests' commands to the same node, a reshard still under way
    // would split the batch again and fail it (see `isRedirect`), the snapshot's commands too.
    const send = redirected && client instanceof Cluster ? single : pipelined;
    // One list of replies: the `n` snapshots, then the records of every request's keys in order.
    const calls: Promise<Snapshot | (string | null)[]>[] = snapshotsOf(requests, attempt > 1 || redirected, send);
    const readRecords = () => {
      // Each key list's entity keys encoded once: the views of one entity share one list (`entityPrefix`).
      let lastKeys: readonly OnlineKey[] | undefined;
      let prefixes: string[] = [];
      for (const { view, keys } of requests) {
        if (keys !== lastKeys) {
          lastKeys = keys;
          prefixes = keys.map(entityPrefix);
        }
        for (const p of prefixes) calls.push(send.hmget(p + view, 'c', 'p'));
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
        const counter = (await guarded(send.get(genKey(view)))) ?? '0';
        if (newest > Number(counter)) throw counterBehind(where, layout, view, newest, counter);
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
          await guarded(schemaOf(recordSchema(rec), send));
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

  return { read, forgetSnapshot: (view) => void turnSnapshots.delete(view) };
}
