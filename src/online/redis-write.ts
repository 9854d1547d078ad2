/**
 * The Redis online store's write sessions: begin (a gen drawn from the view's counter, listed pending), write rows
 * through the monotonic script (redis-scripts.ts), commit (one `HDEL` makes the whole session visible) or abort
 * (dead at once, then rolled back when small enough); a lease renewed by a heartbeat, and the sessions of writers
 * that are gone marked dead.
 *
 * Atomic sessions without cross-slot transactions: every record carries the id of the session that wrote it, and
 * readers hide a record of a pending session behind the one they saw before (redis-read.ts). An aborted (or
 * crashed, once its lease expires) session stays pending as dead: its records are never shown, and later writes
 * compare against what readers saw.
 *
 * @example
 * const { beginWrite } = createRedisWriter(conn, keys, { onCommit: (view) => reader.forgetSnapshot(view) });
 * const w = await beginWrite('driver_stats', ['trips']);
 * await w.write(rows);
 * await w.commit();
 */
import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { FeatureguardError } from '../errors.js';
import { checkVectorLengths, encodeValues, schemaHash } from './record-codec.js';
import type { RedisConnection } from './redis-connection.js';
import { counterBehind, recordText, type RedisKeys } from './redis-keys.js';
import { isRedirect, sendAlone } from './redis-redirects.js';
import { MONOTONIC_WRITE_LUA, ROLLBACK_LUA } from './redis-scripts.js';
import { processAlive, processBootHost, processHost } from '../state/process-host.js';
import type { BeginWriteOptions, OnlineRow, OnlineWriter, WriteResult } from './types.js';

/** How long a session may go without writing before readers and writers treat it as dead. */
const SESSION_LEASE_MS = 60_000;
const SESSION_HEARTBEAT_MS = 15_000;
const WRITE_CONCURRENCY = 2_000;
/** Keys per script call on a single node (a cluster gets one key per call: keys span slots). */
const KEYS_PER_CALL = 128;
/** Rounds of a write call (see `write`): each needs a session to begin and write the same keys in between. */
const WRITE_ROUNDS = 20;
/** An aborted session with at most this many keys is rolled back and forgotten; a larger one just stays dead (invisible). */
const ROLLBACK_MAX_KEYS = 200_000;

/** Gens of the write sessions this process has open, by `viewTarget`: alive, whatever their lease says. */
const liveHere = new Map<string, Set<string>>();

/** A store's write sessions. */
export interface RedisWriter {
  beginWrite(view: string, features: readonly string[], options?: BeginWriteOptions): Promise<OnlineWriter>;
  /** On `close()`: the sessions left open neither renew nor count as alive for this process's writers any more. */
  stopSessions(): void;
}

export interface RedisWriterOptions {
  /** See `RedisOnlineStoreOptions.session_lease_ms`. */
  readonly leaseMs?: number;
  /** Called when a session of `view` committed (the reader's snapshot of the view is out of date). */
  readonly onCommit: (view: string) => void;
}

/** The write sessions of the store behind `conn` (see the module comment). */
export function createRedisWriter({ client, scripts, where, guarded, refreshSlots }: RedisConnection, layout: RedisKeys, { leaseMs = SESSION_LEASE_MS, onCommit }: RedisWriterOptions): RedisWriter {
  const { entityKey, genKey, pendingKey, exclusiveKey, ownersKey, countKey, viewsKey, schemasKey } = layout;
  /** This store's sessions in `liveHere` (each entry takes its session out). */
  const openHere = new Set<() => void>();
  /** Where a view's sessions live, for `liveHere`: the server, the key prefix and the view. */
  const viewTarget = (view: string) => `${where}|${layout.prefix}|${view}`;

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
          if (newest > Number(known)) throw counterBehind(where, layout, view, newest, known);
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
                args.push(ets, cts, recordText(g, ets, cts, hash, encodeValues(r.values, options.floats)));
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
          onCommit(view);
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


  return {
    beginWrite,
    stopSessions() {
      for (const stop of [...openHere]) stop();
    },
  };
}
