/**
 * Lua run inside Redis for monotonic, session-scoped writes (see redis-write.ts; the protocol: redis-store.ts).
 *
 * Each entity key is a hash with field `c` (the latest written record) and `p`
 * (the record readers saw before `c` was written, kept while `c`'s session is
 * pending). A record is `gen|event_ts|created_ts|schema|payload`.
 *
 * KEYS: entity keys (one slot: several only on a single node). ARGV: 1 session
 * id (`<gen>.<token>`, see BEGIN_LUA; a record's gen is the number it starts with), 2 live pending gens of other sessions (",3,7,"), 3 dead (aborted or
 * expired) gens, 4 the last gen drawn when those were read, then per key:
 * event_ts (µs), created_ts (µs), record.
 * Returns per key 0 skipped (stored value is newer, or equal and of the same schema hash; of another schema hash,
 * only a stored event_ts newer than the row's skips it), 1 written,
 * 2 written where readers saw nothing before (a new entity), or minus that
 * record's gen, not written: the key holds a record of a session begun after the
 * writer read the sessions (its gen above ARGV[4]), which the writer cannot tell
 * committed from pending: it reads the sessions again and writes the row again.
 *
 * `defineScripts` registers them on a client as the commands of `ScriptClient`.
 */
import type { Cluster, Redis } from 'ioredis';

/** A session's monotonic write of entity keys (KEYS, ARGV and replies: see the module comment). */
export const MONOTONIC_WRITE_LUA = `
local g, live, dead, known = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local out = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  local ets = tonumber(ARGV[3 * i + 2])
  local cts = tonumber(ARGV[3 * i + 3])
  local rec = ARGV[3 * i + 4]
  local cur = redis.call('HGET', key, 'c')
  if not cur then
    redis.call('HSET', key, 'c', rec)
    out[i] = 2
  else
    local cg = string.match(cur, '^([^|]*)|')
    local cgen = tonumber(string.match(cg, '^%d+'))
    local base = cur
    local visible = cur
    local unknown = false
    if cg ~= g then
      if string.find(dead, ',' .. cg .. ',', 1, true) then
        base = redis.call('HGET', key, 'p')
        visible = base
      elseif string.find(live, ',' .. cg .. ',', 1, true) then
        visible = redis.call('HGET', key, 'p')
      elseif cgen > known then
        unknown = true
      end
    end
    local newer = not unknown
    if base then
      local bets, bcts = string.match(base, '^[^|]*|([^|]*)|([^|]*)|')
      bets = tonumber(bets)
      bcts = tonumber(bcts)
      -- Under the same definitions (schema hash) monotonic on (event_ts, created_ts); a record written under other
      -- ones is replaced by one of equal or newer event_ts, created_ts not compared (see BeginWriteOptions).
      if string.match(base, '^[^|]*|[^|]*|[^|]*|([^|]*)|') == string.match(rec, '^[^|]*|[^|]*|[^|]*|([^|]*)|') then
        if ets < bets or (ets == bets and cts <= bcts) then newer = false end
      elseif ets < bets then
        newer = false
      end
    end
    if unknown then
      out[i] = -cgen
    elseif not newer then
      out[i] = 0
    else
      if cg ~= g then
        if visible then redis.call('HSET', key, 'p', visible) else redis.call('HDEL', key, 'p') end
      end
      redis.call('HSET', key, 'c', rec)
      if cg == g or visible then out[i] = 1 else out[i] = 2 end
    end
  end
end
return out
`;

/**
 * Undo an aborted session on the given keys: where `c` was written by session
 * ARGV[1], put back the previous record (or remove the entity). Then the session
 * can leave the pending hash. Returns nothing.
 */
export const ROLLBACK_LUA = `
local g = ARGV[1]
for i = 1, #KEYS do
  local cur = redis.call('HGET', KEYS[i], 'c')
  if cur and string.match(cur, '^([^|]*)|') == g then
    local prev = redis.call('HGET', KEYS[i], 'p')
    if prev then
      redis.call('HSET', KEYS[i], 'c', prev)
      redis.call('HDEL', KEYS[i], 'p')
    else
      redis.call('DEL', KEYS[i])
    end
  end
end
return 0
`;

/**
 * Lease times are the Redis server's (`TIME`, in ms), never a client's: writers on machines whose clocks
 * disagree judge the same expiries alike. (Effects replication, the default since Redis 7, is asked for
 * explicitly for older servers: a script that reads the time and then writes.)
 */
const NOW_MS = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * Session states in the pending hash (KEYS[1]), each one command so that none is lost between a read and a
 * write: mark a session dead only while it is pending and its expiry is before now + ARGV[2] ms (it stopped
 * renewing: 0 for an expired lease, more to judge it earlier), renew a session's expiry to now + ARGV[2] ms
 * unless it was marked dead, commit (remove it) unless it was marked dead. Return 1 when done, 0 when not,
 * and -1 (renew, commit) when the session is not in the hash at all (see LOST_LUA).
 */
export const MARK_DEAD_LUA = `${NOW_MS}
local v = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '')
if v and v ~= 0 and v < now + tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], ARGV[1], '0')
  return 1
end
return 0
`;

export const RENEW_LUA = `${NOW_MS}
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v == '0' then return 0 end
if not v then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], tostring(now + tonumber(ARGV[2])))
return 1
`;

/**
 * The view's sessions for a writer, as of one instant (KEYS: the gen counter, the pending hash; ARGV[1]: the
 * writer's own gen, ARGV[2]: the other gens its process has open, ",3,7,"): returns the last gen drawn, the live
 * gens of others, the dead ones (",3,7,") and the writer's own state ('pending', 'dead', or 'gone'). A session whose lease ran out is marked dead here, in the same
 * step, so that it cannot commit after a writer has written over it as dead (a paused process); never one of the
 * writer's process, which is alive (a stalled event loop that could not renew in time) and listed as live.
 */
export const SESSIONS_LUA = `${NOW_MS}
local last = redis.call('GET', KEYS[1]) or '0'
local all = redis.call('HGETALL', KEYS[2])
local live, dead, own = ',', ',', 'gone'
for i = 1, #all, 2 do
  local g, v = all[i], all[i + 1]
  if g == ARGV[1] then
    own = v == '0' and 'dead' or 'pending'
  else
    if v == '0' then
      dead = dead .. g .. ','
    elseif tonumber(v) > now or string.find(ARGV[2], ',' .. g .. ',', 1, true) then
      live = live .. g .. ','
    else
      redis.call('HSET', KEYS[2], g, '0')
      dead = dead .. g .. ','
    end
  end
end
return {last, live, dead, own}
`;

/** Lua: `gen`, the gen of the session id in ARGV[1] (`<gen>.<token>`), and `cur`, the gen counter at `counterKey` (0 when gone). */
const GEN_AND_COUNTER = (counterKey: string) =>
  `local gen = tonumber(string.match(ARGV[1], '^(%d+)'))\nlocal cur = tonumber(redis.call('GET', ${counterKey}) or '0') or 0`;

/**
 * Commit (KEYS: the pending hash, the gen counter; ARGV[1]: the session id): remove the session from the pending
 * hash unless it was marked dead (0). A session not in the hash committed already when the counter still
 * reaches its gen (the same commit sent again after a reconnect: ioredis resends what got no reply): 1. With the
 * counter gone or behind it, Redis lost the view's session keys (a restart without persistence): -1.
 */
export const COMMIT_LUA = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v == '0' then return 0 end
if not v then
  ${GEN_AND_COUNTER('KEYS[2]')}
  if gen and cur >= gen then return 1 end
  return -1
end
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
`;

/**
 * A session whose pending entry is gone (renew and commit return -1 for it; the sessions script says 'gone'):
 * Redis lost the view's session keys while it wrote (restarted without persistence, keys evicted or deleted).
 * It must not commit: marked dead (its records stay invisible, later writes compare against what readers saw),
 * and the gen counter raised to at least its gen, so that later sessions draw greater gens than its records
 * (KEYS: the gen counter, the pending hash; ARGV[1]: the session id).
 */
export const LOST_LUA = `
${GEN_AND_COUNTER('KEYS[1]')}
if gen and cur < gen then redis.call('SET', KEYS[1], tostring(gen)) end
redis.call('HSET', KEYS[2], ARGV[1], '0')
return 1
`;

/**
 * Register a write session (KEYS: the view's gen counter, its pending hash, its owners hash; ARGV[1]: the
 * session's lease in ms, ARGV[2]: its writer process, `host#pid`, ARGV[3]: a random token): its gen is drawn and
 * pending in one step, so a reader (GET of the counter, then HKEYS of the pending hash) never sees a gen drawn
 * but not yet pending, and a later writer can tell a session whose process is gone. Returns the session's id,
 * `<gen>.<token>`: records, the pending hash and rollbacks name a session by its id, ordering uses the gen. Were
 * the counter to go back (its key evicted, a failover losing its last increments), a new session would draw an
 * old gen, but never an old id: it cannot take another session's records for its own.
 */
export const BEGIN_LUA = `${NOW_MS}
local g = redis.call('INCR', KEYS[1]) .. '.' .. ARGV[3]
redis.call('HSET', KEYS[2], g, tostring(now + tonumber(ARGV[1])))
redis.call('HSET', KEYS[3], g, ARGV[2])
return g
`;


/** The scripts as commands of a client (`defineScripts`): ioredis sends EVALSHA, and the script when Redis lacks it. */
export interface ScriptClient {
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

/** Register the scripts on `client` (before it connects); the same client, seen as a `ScriptClient`. */
export function defineScripts(client: Redis | Cluster): ScriptClient {
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
  return client as unknown as ScriptClient;
}
