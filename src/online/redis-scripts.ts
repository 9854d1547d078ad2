/**
 * Lua run inside Redis for monotonic, session-scoped writes (see redis-store.ts).
 *
 * Each entity key is a hash with field `c` (the latest written record) and `p`
 * (the record readers saw before `c` was written, kept while `c`'s session is
 * pending). A record is `gen|event_ts|created_ts|schema|payload`.
 *
 * KEYS[1] entity key. ARGV: 1 session gen, 2 event_ts (µs), 3 created_ts (µs),
 * 4 record, 5 live pending gens of other sessions (",3,7,"), 6 dead (aborted or
 * expired) gens. Returns 0 skipped (stored value is newer or equal), 1 written,
 * 2 written where readers saw nothing before (a new entity).
 */
export const MONOTONIC_WRITE_LUA = `
local cur = redis.call('HGET', KEYS[1], 'c')
if not cur then
  redis.call('HSET', KEYS[1], 'c', ARGV[4])
  return 2
end
local g = ARGV[1]
local cg = string.match(cur, '^([^|]*)|')
local base = cur
local visible = cur
if cg ~= g then
  if string.find(ARGV[6], ',' .. cg .. ',', 1, true) then
    base = redis.call('HGET', KEYS[1], 'p')
    visible = base
  elseif string.find(ARGV[5], ',' .. cg .. ',', 1, true) then
    visible = redis.call('HGET', KEYS[1], 'p')
  end
end
if base then
  local bets, bcts = string.match(base, '^[^|]*|([^|]*)|([^|]*)|')
  bets = tonumber(bets)
  bcts = tonumber(bcts)
  local ets = tonumber(ARGV[2])
  local cts = tonumber(ARGV[3])
  if ets < bets or (ets == bets and cts <= bcts) then return 0 end
end
if cg ~= g then
  if visible then redis.call('HSET', KEYS[1], 'p', visible) else redis.call('HDEL', KEYS[1], 'p') end
end
redis.call('HSET', KEYS[1], 'c', ARGV[4])
if cg == g or visible then return 1 end
return 2
`;
