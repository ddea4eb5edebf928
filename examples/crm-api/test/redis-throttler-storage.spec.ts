import { createRedisNamespace } from '@acme/nest-testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisThrottlerStorage, ThrottlerStorageUnavailableError } from '../src/throttling/redis-throttler.storage';

// The storage against the real test Redis: what the login limits rely on, without the app around it.
describe('RedisThrottlerStorage', () => {
  let redis: Redis;
  let prefix: string;
  let storage: RedisThrottlerStorage;
  let serial = 0;
  const key = () => `k${++serial}`;

  beforeAll(async () => {
    const namespace = await createRedisNamespace({ prefix: 'throttle' });
    prefix = namespace.prefix;
    redis = new Redis(namespace.url, { maxRetriesPerRequest: 1 });
    storage = new RedisThrottlerStorage(redis, { prefix });
  });
  afterAll(() => redis?.disconnect());

  it('counts hits in a window and blocks the one past the limit, for the block duration', async () => {
    const k = key();
    const records = [];
    for (let i = 0; i < 4; i++) records.push(await storage.increment(k, 60_000, 3, 30_000));
    expect(records.map((r) => [r.totalHits, r.isBlocked])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, true],
    ]);
    expect(records[0]!.timeToExpire).toBe(60);
    expect(records[3]!.timeToBlockExpire).toBe(30);
    // Blocked: further hits are refused without being counted or extending the block.
    const again = await storage.increment(k, 60_000, 3, 30_000);
    expect(again).toMatchObject({ isBlocked: true, totalHits: 4 });
    expect(again.timeToBlockExpire).toBeLessThanOrEqual(30);
    expect(await redis.pttl(`${prefix}:throttle:{${k}}:blocked`)).toBeGreaterThan(25_000);
  });

  it('counts afresh when the block ends', async () => {
    const k = key();
    for (let i = 0; i < 3; i++) await storage.increment(k, 60_000, 2, 300);
    expect((await storage.increment(k, 60_000, 2, 300)).isBlocked).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await storage.increment(k, 60_000, 2, 300)).toMatchObject({ isBlocked: false, totalHits: 1 });
  });

  it('counts afresh when the window ends', async () => {
    const k = key();
    await storage.increment(k, 300, 5, 1_000);
    await storage.increment(k, 300, 5, 1_000);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await storage.increment(k, 300, 5, 1_000)).toMatchObject({ isBlocked: false, totalHits: 1 });
  });

  it('lets exactly `limit` of many concurrent hits through, from several connections', async () => {
    const others = [new Redis(redis.options), new Redis(redis.options)];
    try {
      const storages = [storage, ...others.map((client) => new RedisThrottlerStorage(client, { prefix }))];
      const k = key();
      const records = await Promise.all(Array.from({ length: 60 }, (_, i) => storages[i % storages.length]!.increment(k, 60_000, 5, 60_000)));
      expect(records.filter((r) => !r.isBlocked)).toHaveLength(5);
    } finally {
      for (const client of others) client.disconnect();
    }
  });

  it('refund gives one hit back, never below zero and never creating a key', async () => {
    const k = key();
    await storage.increment(k, 60_000, 2, 60_000);
    await storage.increment(k, 60_000, 2, 60_000);
    await storage.refund(k);
    expect(await storage.increment(k, 60_000, 2, 60_000)).toMatchObject({ totalHits: 2, isBlocked: false });
    const fresh = key();
    await storage.refund(fresh);
    await storage.refund(fresh);
    expect(await redis.exists(`${prefix}:throttle:{${fresh}}`)).toBe(0);
    expect(await storage.increment(fresh, 60_000, 2, 60_000)).toMatchObject({ totalHits: 1 });
  });

  it('keeps both keys of a tracker in one cluster slot (hash tag)', async () => {
    const k = key();
    await storage.increment(k, 60_000, 0, 60_000);
    const keys = await redis.keys(`${prefix}:throttle:{${k}}*`);
    expect(keys.sort()).toEqual([`${prefix}:throttle:{${k}}:blocked`]);
  });

  it('fails with ThrottlerStorageUnavailableError, quickly, when Redis does not answer', async () => {
    const silent = new Redis({ port: 9, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: true, retryStrategy: () => 50 });
    silent.on('error', () => {});
    try {
      const unreachable = new RedisThrottlerStorage(silent, { prefix, timeoutMs: 300 });
      const started = Date.now();
      await expect(unreachable.increment(key(), 60_000, 5, 60_000)).rejects.toBeInstanceOf(ThrottlerStorageUnavailableError);
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      silent.disconnect();
    }
  });
});
