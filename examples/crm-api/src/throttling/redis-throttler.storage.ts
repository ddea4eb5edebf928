import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Redis } from 'ioredis';

/** What `ThrottlerStorage.increment` answers (times in seconds, as @nestjs/throttler's own storage). */
export interface ThrottlerStorageRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

/** Redis did not answer in time, or refused the command: the caller decides whether to fail open or closed. */
export class ThrottlerStorageUnavailableError extends Error {
  readonly code = 'CRM_THROTTLER_STORAGE_UNAVAILABLE';
  constructor(readonly reason: string) {
    super(`The throttler's Redis did not answer (${reason}): check REDIS_URL and that Redis is up.`);
    this.name = 'ThrottlerStorageUnavailableError';
  }
}

// One round trip, atomic: a blocked key answers without counting; otherwise the hit is counted in a
// fixed window (the first hit sets its TTL), and the hit past the limit sets the block and clears
// the window, so counting starts afresh when the block ends.
// KEYS: hits, block. ARGV: window ms, limit, block ms. Returns hits, window ms left, blocked, block ms left.
const HIT = `
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
`;

// Gives one hit back (a request that turned out well), never below zero, never creating the key.
const REFUND = `
local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
if hits > 0 then return redis.call('DECR', KEYS[1]) end
return 0
`;

interface ThrottleCommands {
  crmThrottleHit(hits: string, block: string, windowMs: number, limit: number, blockMs: number): Promise<[number, number, number, number]>;
  crmThrottleRefund(hits: string): Promise<number>;
}

export interface RedisThrottlerStorageOptions {
  /** Prefix of every key: `<prefix>:throttle:{<key>}` (the hash tag keeps a key's two entries in one cluster slot). */
  prefix: string;
  /** Longest wait for Redis before the call fails with ThrottlerStorageUnavailableError. @default 1000 */
  timeoutMs?: number;
}

/**
 * @nestjs/throttler's storage on Redis, so every API replica counts into the same windows. Each
 * hit is one Lua script (EVALSHA): increment, window TTL and block are atomic, so concurrent
 * requests on any replica never slip past the limit.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly commands: ThrottleCommands;
  private readonly timeoutMs: number;

  constructor(
    redis: Redis,
    private readonly options: RedisThrottlerStorageOptions,
  ) {
    redis.defineCommand('crmThrottleHit', { numberOfKeys: 2, lua: HIT });
    redis.defineCommand('crmThrottleRefund', { numberOfKeys: 1, lua: REFUND });
    this.commands = redis as unknown as ThrottleCommands;
    this.timeoutMs = options.timeoutMs ?? 1_000;
  }

  /** `ttl` and `blockDuration` in milliseconds; the record's times in seconds (rounded up). */
  async increment(key: string, ttl: number, limit: number, blockDuration: number): Promise<ThrottlerStorageRecord> {
    const hitsKey = this.keyOf(key);
    const [totalHits, windowLeft, blocked, blockLeft] = await this.withTimeout(
      this.commands.crmThrottleHit(hitsKey, `${hitsKey}:blocked`, Math.max(1, Math.round(ttl)), limit, Math.round(blockDuration)),
    );
    return { totalHits, timeToExpire: toSeconds(windowLeft), isBlocked: blocked === 1, timeToBlockExpire: toSeconds(blockLeft) };
  }

  /** Takes back one hit of `key` (e.g. a sign-in that succeeded). */
  async refund(key: string): Promise<void> {
    await this.withTimeout(this.commands.crmThrottleRefund(this.keyOf(key)));
  }

  private keyOf(key: string): string {
    return `${this.options.prefix}:throttle:{${key}}`;
  }

  private withTimeout<T>(pending: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ThrottlerStorageUnavailableError(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    const answered = pending.catch((error: unknown) => {
      throw new ThrottlerStorageUnavailableError(error instanceof Error ? error.message : String(error));
    });
    return Promise.race([answered, timeout]).finally(() => clearTimeout(timer));
  }
}

const toSeconds = (ms: number) => (ms > 0 ? Math.ceil(ms / 1000) : 0);
