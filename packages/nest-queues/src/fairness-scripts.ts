/**
 * Lua run atomically in Redis for fair queues. Every key lives under the queue's own prefix
 * (`<prefix>:<queue>:fair...`), so a hash-tagged prefix keeps them in the queue's cluster slot.
 */

/** BullMQ's highest priority (`PRIORITY_LIMIT`): its sorted-set score is priority * 2^32 + a counter, within 2^53. */
export const MAX_PRIORITY = 2 ** 21 - 1;

/**
 * Start-time fair queuing over BullMQ priorities. The virtual time V is the priority of the job at
 * the head of the queue's prioritized set (the round being served now); a new job of workspace W
 * gets the turn `max(V, last turn given to W + 1)` and W's last turn becomes it: an idle workspace
 * joins the current round, a backlogged one queues its next job one round after its last. So the
 * k-th waiting job of every workspace is served in round V + k - 1, and BullMQ serves equal
 * priorities FIFO. Nothing is counted, so nothing can drift: a workspace whose last turn is behind V is idle.
 * When the prioritized set is empty every turn is stale and the table is cleared (V restarts at 0).
 *
 * KEYS[1] the queue's prioritized set, KEYS[2] the table of last turns (hash: workspace -> turn)
 * ARGV    one bucket (workspace id) per job, in enqueue order
 * Returns one priority per job.
 */
export const RESERVE_TURNS = `
local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local v = 0
if head[2] then
  v = math.floor(tonumber(head[2]) / 4294967296)
else
  redis.call('DEL', KEYS[2])
end
local last = {}
local out = {}
for i, w in ipairs(ARGV) do
  local l = last[w]
  if l == nil then l = tonumber(redis.call('HGET', KEYS[2], w) or '0') end
  local turn = math.max(v, l + 1)
  if turn > ${MAX_PRIORITY} then turn = ${MAX_PRIORITY} end
  last[w] = turn
  out[i] = turn
end
for w, turn in pairs(last) do redis.call('HSET', KEYS[2], w, turn) end
return out
`;

/**
 * Admits a job of one workspace: a concurrency slot (a lease that expires, so a crashed worker
 * does not hold it forever) and a start time under the rate (GCRA: starts spaced by an interval;
 * a job over the rate reserves the next free start time and is told to come back then, so it is
 * delayed once, not polled). Time is Redis' clock, shared by every worker.
 *
 * KEYS[1] leases (zset job -> expiry ms), KEYS[2] the workspace's next free start time (string),
 * KEYS[3] reserved start times (zset job -> ms)
 * ARGV[1] job id, ARGV[2] lease ms, ARGV[3] cap (0: none), ARGV[4] interval ms (0: no rate)
 * Returns 0 when admitted (the lease is held), -1 when every slot is taken, else ms until the job's start time.
 */
export const ADMIT_JOB = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local job = ARGV[1]
local leaseMs = tonumber(ARGV[2])
local cap = tonumber(ARGV[3])
local interval = tonumber(ARGV[4])
if cap > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  if not redis.call('ZSCORE', KEYS[1], job) and redis.call('ZCARD', KEYS[1]) >= cap then return -1 end
end
if interval > 0 then
  local reserved = redis.call('ZSCORE', KEYS[3], job)
  if reserved then
    reserved = tonumber(reserved)
    if reserved > now then return math.ceil(reserved - now) end
    redis.call('ZREM', KEYS[3], job)
  else
    local nextStart = tonumber(redis.call('GET', KEYS[2]) or '0')
    if nextStart < now then nextStart = now end
    redis.call('SET', KEYS[2], nextStart + interval, 'PX', math.ceil(nextStart + interval - now) + 1000)
    if nextStart > now then
      redis.call('ZADD', KEYS[3], nextStart, job)
      -- reservations of jobs removed meanwhile are dropped after an hour
      redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - 3600000)
      redis.call('PEXPIRE', KEYS[3], math.ceil(nextStart - now) + 3600000)
      return math.ceil(nextStart - now)
    end
  end
end
if cap > 0 then
  redis.call('ZADD', KEYS[1], now + leaseMs, job)
  redis.call('PEXPIRE', KEYS[1], leaseMs * 2)
end
return 0
`;

/**
 * Extends a running job's lease (KEYS[1] leases; ARGV[1] job id, ARGV[2] lease ms). Returns 0
 * when the lease had already expired (another job may have taken the slot meanwhile).
 */
export const EXTEND_LEASE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local updated = redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
return updated
`;

/** Frees a job's slot (KEYS[1] leases; ARGV[1] job id). */
export const RELEASE_LEASE = `return redis.call('ZREM', KEYS[1], ARGV[1])`;
