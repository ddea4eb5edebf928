import { RedisInvalidationBus, CacheOptionsError, InvalidationBusUnavailableError } from '@acme/nest-cache';
import type { InvalidationMessage } from '@acme/nest-context';
import { PartitionProxy } from '@acme/nest-testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { restartableRedis, type RestartableRedis } from './support/restartable-redis';

const HEARTBEAT_MS = 100;
const HEARTBEAT_TIMEOUT_MS = 400;

async function until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('RedisInvalidationBus', () => {
  let redis: RestartableRedis;
  const buses: RedisInvalidationBus[] = [];
  const bus = (url: string, channel = 'test:invalidation') => {
    const created = new RedisInvalidationBus({ connection: { url }, channel, heartbeatMs: HEARTBEAT_MS, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS });
    buses.push(created);
    return created;
  };
  beforeAll(async () => {
    redis = await restartableRedis();
  });
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("delivers a message to the other replicas' handlers of its topic, never to the publisher's own", async () => {
    const [a, b, c] = [bus(redis.url), bus(redis.url), bus(redis.url)];
    const heard = { a: [] as InvalidationMessage[], b: [] as InvalidationMessage[], c: [] as InvalidationMessage[], other: 0 };
    a.subscribe('users', (m) => heard.a.push(m));
    b.subscribe('users', (m) => heard.b.push(m));
    c.subscribe('users', (m) => heard.c.push(m));
    b.subscribe('other', () => heard.other++);
    for (const replica of [a, b, c]) await replica.onModuleInit();
    await until(() => a.healthy && b.healthy && c.healthy, 'every bus is healthy');

    await a.publish('users', { userId: 'u1' });
    await until(() => heard.b.length === 1 && heard.c.length === 1, 'b and c heard it');
    expect(heard.b).toEqual([{ userId: 'u1' }]);
    expect(heard.a).toEqual([]);
    expect(heard.other).toBe(0);
  });

  it('keeps apps on different channels apart, and ignores messages it cannot read', async () => {
    const a = bus(redis.url, 'app-one:invalidation');
    const b = bus(redis.url, 'app-two:invalidation');
    const heard: InvalidationMessage[] = [];
    b.subscribe('users', (m) => heard.push(m));
    await Promise.all([a.onModuleInit(), b.onModuleInit()]);
    await until(() => a.healthy && b.healthy, 'both healthy');
    await a.publish('users', { userId: 'u1' });
    const raw = new Redis(redis.url);
    await raw.publish('app-two:invalidation', 'not json');
    await raw.publish('app-two:invalidation', JSON.stringify({ o: 'x', t: 'users', m: 'not an object' }));
    await raw.publish('app-two:invalidation', JSON.stringify({ o: 'x', t: 'users', m: { userId: 'u2' } }));
    await until(() => heard.length === 1, 'the readable message arrived');
    await raw.quit();
    expect(heard).toEqual([{ userId: 'u2' }]);
  });

  it('is not healthy while Redis is down; back up, it starts a new healthy period and delivers again', async () => {
    const [a, b] = [bus(redis.url), bus(redis.url)];
    const heard: InvalidationMessage[] = [];
    b.subscribe('users', (m) => heard.push(m));
    await Promise.all([a.onModuleInit(), b.onModuleInit()]);
    await until(() => a.healthy && b.healthy, 'both healthy');
    const firstPeriod = b.healthySince!;
    expect(firstPeriod).toBeLessThanOrEqual(Date.now());

    await redis.stop();
    await until(() => !b.healthy, 'b notices the outage', 2_000);
    expect(b.healthySince).toBeNull();
    // A publish while Redis is down rejects within publishTimeoutMs, and is sent once Redis is back.
    await expect(a.publish('users', { userId: 'late' })).rejects.toBeInstanceOf(InvalidationBusUnavailableError);

    await redis.start();
    await until(() => a.healthy && b.healthy, 'both healthy again', 10_000);
    expect(b.healthySince!).toBeGreaterThan(firstPeriod);
    await a.publish('users', { userId: 'u3' });
    await until(() => heard.some((m) => m.userId === 'u3'), 'delivery resumed');
  });

  it('notices a silent partition (connections open, nothing arrives) within heartbeatTimeoutMs', async () => {
    const proxy = await PartitionProxy.start(redis.url);
    try {
      const b = bus(proxy.url);
      await b.onModuleInit();
      await until(() => b.healthy, 'healthy');
      const before = b.healthySince!;
      proxy.cut();
      const cutAt = Date.now();
      await until(() => !b.healthy, 'b notices the partition', HEARTBEAT_TIMEOUT_MS * 3);
      expect(Date.now() - cutAt).toBeLessThan(HEARTBEAT_TIMEOUT_MS + HEARTBEAT_MS * 3);
      proxy.restore();
      await until(() => b.healthy, 'healthy again', 10_000);
      expect(b.healthySince!).toBeGreaterThan(before);
    } finally {
      await proxy.close();
    }
  });

  it('refuses invalid options, naming them', () => {
    expect(() => new RedisInvalidationBus({} as never)).toThrow(CacheOptionsError);
    expect(() => new RedisInvalidationBus({ connection: { url: redis.url }, channel: '' })).toThrow(/"channel"/);
    expect(() => new RedisInvalidationBus({ connection: { url: redis.url }, heartbeatMs: 0 })).toThrow(/"heartbeatMs"/);
    expect(() => new RedisInvalidationBus({ connection: { url: redis.url }, heartbeatMs: 1_000, heartbeatTimeoutMs: 500 })).toThrow(/"heartbeatTimeoutMs"/);
  });
});
