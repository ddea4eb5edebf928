import { createHash } from 'node:crypto';
import { importOptional, isRedisClusterConnection, redisHashTag, withTimeout } from '@acme/nest-context';
import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { ThrottlerOptionsError, ThrottlerStorageUnavailableError } from './throttler.errors';
import { HIT, REFUND, type LuaScript } from './throttler.scripts';

/**
 * Where the counters live, as BullMQ's `connection` takes it: ioredis options (`{ host, port,
 * password, tls }`, or `{ url }`), or an ioredis `Redis` / `Cluster` instance you own.
 */
export type ThrottlerConnection = (RedisOptions & { url?: string }) | Redis | Cluster;

/** What `ThrottlerStorage.increment` answers (times in seconds, as @nestjs/throttler's own storage). */
export interface ThrottlerStorageRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

export interface RedisThrottlerStorageOptions {
  /**
   * The Redis the counters live in. Options: the storage opens its own connection (with
   * `maxRetriesPerRequest: 1` unless you set it: a counter that cannot be read in time is
   * reported, not retried) and closes it on shutdown. An instance: used as given, never closed by
   * the storage.
   */
  connection: ThrottlerConnection;
  /**
   * Start of every key: `<prefix>:throttle:{<key>}` and `<prefix>:throttle:{<key>}:blocked` (the
   * hash tag keeps a key's two entries in one Redis Cluster slot).
   * @default 'acme'
   */
  prefix?: string;
  /** Longest wait for Redis before a call fails with `ThrottlerStorageUnavailableError`. @default 1000 */
  timeoutMs?: number;
}

/** Longest key kept readable in Redis; longer ones (and ones with `{` or `}`) are hashed. */
const MAX_PLAIN_KEY = 256;
const PLAIN_KEY = /^[^{}]+$/;

/** The minimal ioredis surface the storage uses (`Redis` and `Cluster` both have it). */
interface ScriptClient {
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(lua: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * @nestjs/throttler's storage on Redis, so every replica of an API counts into the same windows.
 * Each hit is one Lua script (EVALSHA): increment, window TTL and block are atomic, so concurrent
 * requests on any replica never slip past the limit. Every call is bounded by `timeoutMs` and
 * fails with `ThrottlerStorageUnavailableError` (CACHE_THROTTLER_UNAVAILABLE) when Redis does not
 * answer: `TenantThrottlerGuard` then fails open or closed, as the route asks.
 *
 * @example ThrottlerModule.forRoot({ throttlers: [...], storage: new RedisThrottlerStorage({ connection: { url } }) })
 */
export class RedisThrottlerStorage implements ThrottlerStorage, OnModuleInit, OnApplicationShutdown {
  private readonly prefix: string;
  private readonly timeoutMs: number;
  /** The client given, or the one this storage opens on first use (then closed by `close()`). */
  private client?: Promise<ScriptClient>;
  private readonly owned: boolean;

  constructor(private readonly options: RedisThrottlerStorageOptions) {
    const { connection, prefix = 'acme', timeoutMs = 1_000 } = options ?? ({} as RedisThrottlerStorageOptions);
    if (typeof connection !== 'object' || connection === null) {
      throw new ThrottlerOptionsError(
        'RedisThrottlerStorage option "connection" is required: ioredis options ({ host, port } or { url }) or an ioredis instance.',
      );
    }
    if (typeof prefix !== 'string' || prefix.length === 0) {
      throw new ThrottlerOptionsError(`RedisThrottlerStorage option "prefix" must be a non-empty string, got ${JSON.stringify(prefix)}.`);
    }
    // A hit's script touches two keys, which a cluster runs only when they share a slot: an empty '{}'
    // in the prefix makes Redis hash whole keys, and every hit would fail with CROSSSLOT.
    if (isRedisClusterConnection(connection) && redisHashTag(`${prefix}:throttle:{key}`) === undefined) {
      throw new ThrottlerOptionsError(
        `RedisThrottlerStorage option "prefix" is "${prefix}": on Redis Cluster its empty "{}" makes each hit's two keys land in different slots. Remove the braces.`,
      );
    }
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new ThrottlerOptionsError(`RedisThrottlerStorage option "timeoutMs" must be a positive number of milliseconds, got ${String(timeoutMs)}.`);
    }
    this.prefix = prefix;
    this.timeoutMs = timeoutMs;
    this.owned = !isRedisInstance(connection);
    if (!this.owned) this.client = Promise.resolve(connection as unknown as ScriptClient);
  }

  /** Opens the connection at bootstrap when the storage is a Nest provider (ThrottlerModule's `storage`). */
  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /**
   * Counts one hit of `key`. `ttl` and `blockDuration` in milliseconds; the record's times in
   * seconds (rounded up). The hit past `limit` blocks the key for `blockDuration` (or, when 0,
   * until the window ends); hits while blocked are refused without being counted.
   */
  async increment(key: string, ttl: number, limit: number, blockDuration: number): Promise<ThrottlerStorageRecord> {
    checkNumber('ttl', ttl, 1);
    checkNumber('limit', limit, 0);
    checkNumber('blockDuration', blockDuration, 0);
    const hitsKey = this.keyOf(key);
    const reply = await this.run(HIT, [hitsKey, `${hitsKey}:blocked`], [Math.max(1, Math.round(ttl)), Math.floor(limit), Math.round(blockDuration)]);
    const [totalHits, windowLeft, blocked, blockLeft] = reply as [number, number, number, number];
    return { totalHits, timeToExpire: toSeconds(windowLeft), isBlocked: blocked === 1, timeToBlockExpire: toSeconds(blockLeft) };
  }

  /**
   * Takes back one hit of `key` (the key the guard counted under, e.g. a sign-in that succeeded),
   * never below zero and never creating the key. A block already set stays.
   */
  async refund(key: string): Promise<void> {
    await this.run(REFUND, [this.keyOf(key)], []);
  }

  /** Closes the connection the storage opened (a given instance is left open). Idempotent. */
  async close(): Promise<void> {
    if (!this.owned || !this.client) return;
    const pending = this.client;
    this.client = undefined;
    const client = await pending.catch(() => undefined);
    if (!client) return;
    await withTimeout(client.quit(), this.timeoutMs, () => new ThrottlerStorageUnavailableError('QUIT timed out')).catch(() => client.disconnect());
  }

  /** The Redis key of a throttler key: readable when it is short and brace-free, else hashed. */
  private keyOf(key: string): string {
    const part = key.length <= MAX_PLAIN_KEY && PLAIN_KEY.test(key) ? key : `#${createHash('sha256').update(key).digest('base64url')}`;
    return `${this.prefix}:throttle:{${part}}`;
  }

  private connect(): Promise<ScriptClient> {
    this.client ??= this.open();
    return this.client;
  }

  private async open(): Promise<ScriptClient> {
    const ioredis: any = await importOptional(() => import('ioredis'), 'ioredis');
    if (!ioredis) {
      throw new ThrottlerOptionsError(
        'RedisThrottlerStorage needs ioredis to open its connection: install it (pnpm add ioredis), or pass an ioredis instance.',
      );
    }
    const RedisClass = ioredis.Redis ?? ioredis.default;
    const { url, ...rest } = this.options.connection as RedisOptions & { url?: string };
    const settings = { maxRetriesPerRequest: 1, ...rest };
    const client: ScriptClient = url ? new RedisClass(url, settings) : new RedisClass(settings);
    // Failures reach the callers as ThrottlerStorageUnavailableError; this keeps ioredis from
    // printing "Unhandled error event" for each reconnect attempt.
    client.on('error', () => {});
    return client;
  }

  private async run(script: LuaScript, keys: string[], args: number[]): Promise<unknown> {
    const call = async () => {
      const client = await this.connect();
      try {
        return await client.evalsha(script.sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return client.eval(script.lua, keys.length, ...keys, ...args);
      }
    };
    const answered = call().catch((error: unknown) => {
      if (error instanceof ThrottlerOptionsError) throw error;
      throw new ThrottlerStorageUnavailableError(error instanceof Error ? error.message : String(error), { cause: error });
    });
    return withTimeout(answered, this.timeoutMs, () => new ThrottlerStorageUnavailableError(`no answer within ${this.timeoutMs} ms`));
  }
}

/** An ioredis client rather than options (the test BullMQ uses). */
function isRedisInstance(connection: object): boolean {
  const candidate = connection as Record<string, unknown>;
  return ['connect', 'disconnect', 'duplicate'].every((name) => typeof candidate[name] === 'function');
}

function checkNumber(name: string, value: number, min: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new ThrottlerOptionsError(
      `RedisThrottlerStorage.increment: "${name}" must be a finite number >= ${min}, got ${String(value)}. Check the throttler's ${name}.`,
    );
  }
}

const toSeconds = (ms: number) => (ms > 0 ? Math.ceil(ms / 1000) : 0);
