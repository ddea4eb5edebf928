import { RedisThrottlerStorage, ThrottlerOptionsError, ThrottlerStorageUnavailableError } from '@acme/nest-cache';
import { freePort } from '@acme/nest-testing';
import { ContextModule } from '@acme/nest-context';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ThrottlerModule, getStorageToken } from '@nestjs/throttler';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageOptions } from './support';

// The storage against the real test Redis, without an app around it.
describe('RedisThrottlerStorage', () => {
  let redis: Redis;
  let url: string;
  let prefix: string;
  let storage: RedisThrottlerStorage;
  let serial = 0;
  const key = () => `k${++serial}`;

  beforeAll(async () => {
    const options = await storageOptions();
    url = options.url;
    prefix = options.prefix!;
    redis = new Redis(url, { maxRetriesPerRequest: 1 });
    storage = new RedisThrottlerStorage({ connection: redis, prefix });
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

  it('with no block duration, refuses past the limit until the window ends', async () => {
    const k = key();
    for (let i = 0; i < 2; i++) await storage.increment(k, 60_000, 2, 0);
    const past = await storage.increment(k, 60_000, 2, 0);
    expect(past).toMatchObject({ isBlocked: true, totalHits: 3 });
    expect(past.timeToBlockExpire).toBe(60);
  });

  it('lets exactly `limit` of many concurrent hits through, from several connections', async () => {
    const storages = [storage, new RedisThrottlerStorage({ connection: { url }, prefix }), new RedisThrottlerStorage({ connection: { url }, prefix })];
    try {
      const k = key();
      const records = await Promise.all(Array.from({ length: 60 }, (_, i) => storages[i % storages.length]!.increment(k, 60_000, 5, 60_000)));
      expect(records.filter((r) => !r.isBlocked)).toHaveLength(5);
    } finally {
      await Promise.all(storages.slice(1).map((s) => s.close()));
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

  it('keeps both keys of a tracker in one cluster slot (hash tag), and the key layout readable', async () => {
    const k = key();
    await storage.increment(k, 60_000, 0, 60_000);
    const keys = await redis.keys(`${prefix}:throttle:{${k}}*`);
    expect(keys.sort()).toEqual([`${prefix}:throttle:{${k}}:blocked`]);
  });

  it('hashes keys that would break the hash tag or grow without bound, keeping them apart', async () => {
    const hostile = ['', '}', '{a}', 'x'.repeat(10_000), 'x'.repeat(10_001)];
    for (const k of hostile) {
      expect(await storage.increment(k, 60_000, 5, 60_000)).toMatchObject({ totalHits: 1, isBlocked: false });
    }
    const keys = await redis.keys(`${prefix}:throttle:{#*`);
    expect(keys).toHaveLength(hostile.length);
    for (const stored of keys) expect(stored).toMatch(new RegExp(`^${prefix}:throttle:\\{#[A-Za-z0-9_-]{43}\\}$`));
  });

  it('a connection it opened is closed by close(); an instance it was given stays open', async () => {
    const own = new RedisThrottlerStorage({ connection: { url }, prefix });
    await own.increment(key(), 60_000, 5, 60_000);
    const clients = async () => (await redis.client('LIST')) as string;
    const before = (await clients()).split('\n').filter(Boolean).length;
    await own.close();
    await own.close();
    await expect.poll(async () => (await clients()).split('\n').filter(Boolean).length).toBe(before - 1);
    const given = new RedisThrottlerStorage({ connection: redis, prefix });
    await given.close();
    expect(redis.status).toBe('ready');
    expect(await redis.ping()).toBe('PONG');
  });

  it("as ThrottlerModule's storage, connects at bootstrap and closes its connection when the app closes", async () => {
    const name = `throttle-${Date.now()}`;
    const storage = new RedisThrottlerStorage({ connection: { url, connectionName: name }, prefix });
    @Module({ imports: [ContextModule.forRoot(), ThrottlerModule.forRoot({ throttlers: [{ limit: 1, ttl: 1_000 }], storage })] })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
    expect(app.get(getStorageToken())).toBe(storage);
    const named = async () => ((await redis.client('LIST')) as string).split('\n').filter((line) => line.includes(`name=${name} `)).length;
    await expect.poll(named).toBe(1);
    await app.close();
    await expect.poll(named).toBe(0);
  });

  it('fails with ThrottlerStorageUnavailableError (CACHE_THROTTLER_UNAVAILABLE), quickly, when Redis does not answer', async () => {
    const silent = new Redis({ port: 9, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: true, retryStrategy: () => 50 });
    silent.on('error', () => {});
    try {
      const unreachable = new RedisThrottlerStorage({ connection: silent, prefix, timeoutMs: 300 });
      const started = Date.now();
      const error = await unreachable.increment(key(), 60_000, 5, 60_000).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ThrottlerStorageUnavailableError);
      expect((error as ThrottlerStorageUnavailableError).code).toBe('CACHE_THROTTLER_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      silent.disconnect();
    }
  });

  it('options it opens the connection from: a refused port fails within timeoutMs, and close() still returns', async () => {
    const down = new RedisThrottlerStorage({ connection: { host: '127.0.0.1', port: await freePort() }, prefix, timeoutMs: 300 });
    const started = Date.now();
    await expect(down.increment(key(), 60_000, 5, 60_000)).rejects.toBeInstanceOf(ThrottlerStorageUnavailableError);
    expect(Date.now() - started).toBeLessThan(1_000);
    await down.close();
  });

  it('refuses options it cannot use, naming the option', () => {
    expect(() => new RedisThrottlerStorage(undefined as never)).toThrow(ThrottlerOptionsError);
    expect(() => new RedisThrottlerStorage({ connection: 'redis://x' as never })).toThrow(/"connection" is required/);
    expect(() => new RedisThrottlerStorage({ connection: {}, prefix: '' })).toThrow(/"prefix"/);
    expect(() => new RedisThrottlerStorage({ connection: {}, timeoutMs: 0 })).toThrow(/"timeoutMs"/);
    expect(new ThrottlerOptionsError('x').code).toBe('CACHE_INVALID_THROTTLER_OPTIONS');
  });
});
