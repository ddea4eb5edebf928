import type { Redis, RedisOptions } from 'ioredis';

/**
 * The Redis the bus talks through, as BullMQ's `connection` takes it: ioredis options (`{ host,
 * port, password, tls }`, or `{ url }`), or an ioredis `Redis` instance. Either way the bus opens
 * two connections of its own (a publisher and a subscriber: a subscribed connection can do nothing
 * else), from the options or with `instance.duplicate()`, and closes them on shutdown.
 */
export type InvalidationBusConnection = (RedisOptions & { url?: string }) | Redis;

/** Options of `InvalidationBusModule.forRoot` / `forRootAsync` and of `new RedisInvalidationBus(...)`. */
export interface InvalidationBusOptions {
  /** The Redis every replica of the app shares. */
  connection: InvalidationBusConnection;
  /**
   * The pub/sub channel of the app's invalidations: the same for every replica (API and worker) of
   * one app, a different one for each app sharing the Redis.
   * @default 'acme:invalidation'
   */
  channel?: string;
  /**
   * How often each replica sends itself a heartbeat through Redis. The heartbeat is how a replica
   * notices that it no longer hears the channel when no connection reports it (a network partition).
   * @default 1000
   */
  heartbeatMs?: number;
  /**
   * No heartbeat heard back for this long: the bus is not healthy (the caches then fall back to
   * their `fallbackTtlMs`) until one is. Larger than `heartbeatMs`.
   * @default 3000
   */
  heartbeatTimeoutMs?: number;
  /**
   * Longest wait for Redis to accept a message before `publish` rejects. The message stays queued
   * on the connection and is sent once Redis is back.
   * @default 1000
   */
  publishTimeoutMs?: number;
}

export interface InvalidationBusModuleExtras {
  /** @default true */
  isGlobal?: boolean;
}
