import { createHash } from 'node:crypto';

/** A Lua script and its SHA1, for EVALSHA with an EVAL fallback. */
export interface LuaScript {
  readonly lua: string;
  readonly sha: string;
}

const script = (lua: string): LuaScript => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });

// One round trip, atomic: a blocked key answers without counting; otherwise the hit is counted in a
// fixed window (the first hit sets its TTL), and the hit past the limit sets the block and clears
// the window, so counting starts afresh when the block ends. With no block duration the hit past
// the limit is refused until the window ends.
// KEYS: hits, block. ARGV: window ms, limit, block ms. Returns hits, window ms left, blocked, block ms left.
export const HIT = script(`
local blockLeft = redis.call('PTTL', KEYS[2])
if blockLeft > 0 then
  return { tonumber(redis.call('GET', KEYS[2]) or '0'), 0, 1, blockLeft }
end
local hits = redis.call('INCR', KEYS[1])
local windowLeft = redis.call('PTTL', KEYS[1])
if windowLeft < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  windowLeft = tonumber(ARGV[1])
end
if hits > tonumber(ARGV[2]) then
  local block = tonumber(ARGV[3])
  if block <= 0 then return { hits, windowLeft, 1, windowLeft } end
  redis.call('SET', KEYS[2], hits, 'PX', block)
  redis.call('DEL', KEYS[1])
  return { hits, 0, 1, block }
end
return { hits, windowLeft, 0, 0 }
`);

// Gives one hit back (a request that turned out well), never below zero, never creating the key.
export const REFUND = script(`
local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
if hits > 0 then return redis.call('DECR', KEYS[1]) end
return 0
`);
