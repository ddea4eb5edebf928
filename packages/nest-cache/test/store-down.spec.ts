import { uuidv7 } from '@acme/nest-context';
import { freePort, PartitionProxy, type StartedService, startRedis } from '@acme/nest-testing';
import { createKeyv } from '@keyv/redis';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStore, startCacheApp, TestAuditedWrites, type CacheApp } from './support/cache-app';

const TIMEOUT_MS = 150;

async function bypasses(registry: Registry, reason: string): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'acme_cache_bypasses_total');
  return Number(metric?.values.find((v) => v.labels.reason === reason)?.value ?? 0);
}

/** Waits until `app` writes and reads through its store again (the client has reconnected). */
async function untilStoreAnswers(app: CacheApp): Promise<void> {
  const probe = { subject: 'Probe', parts: [uuidv7()] };
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    await app.cache.set(probe, 1, { global: true });
    if ((await app.cache.get(probe, { global: true })) === 1) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the store did not come back within 5 s');
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

describe('Redis unreachable (a partition: commands hang)', () => {
  const registry = new Registry();
  const writes = new TestAuditedWrites();
  let proxy: PartitionProxy;
  let app: CacheApp;
  let other: CacheApp; // a second replica, on Redis directly, to put entries there behind the first one's back
  beforeAll(async () => {
    const direct = await redisStore();
    proxy = await PartitionProxy.start(direct.url);
    const viaProxy = createKeyv(proxy.url);
    app = await startCacheApp({ cache: { stores: [viaProxy], prefix: direct.prefix, timeoutMs: TIMEOUT_MS, metrics: { registry } }, auditedWrites: writes });
    other = await startCacheApp({ cache: { stores: [direct.store], prefix: direct.prefix, metrics: false } });
  });
  afterAll(async () => {
    proxy?.restore();
    await app?.close();
    await other?.close();
    await proxy?.close();
  });

  it('reads go to the source within about timeoutMs and never throw; the bypass is counted; caching resumes when Redis is back', async () => {
    const ws = uuidv7();
    await app.as(ws, () => app.deals.pipeline('won'));
    await app.as(ws, () => app.deals.pipeline('won')); // a hit: the entry's write (not awaited by the miss) is done
    proxy.cut();
    const before = await bypasses(registry, 'timeout');
    app.deals.revision = 2;
    for (let i = 0; i < 3; i++) {
      const { value, ms } = await timed(() => app.as(ws, () => app.deals.pipeline('won')));
      expect(value.revision).toBe(2); // from the source
      expect(ms).toBeLessThan(TIMEOUT_MS * 3);
    }
    expect(await bypasses(registry, 'timeout')).toBe(before + 3);
    // The TenantCache API degrades the same way.
    expect(await app.as(ws, () => app.cache.get({ subject: 'Deal', parts: ['x'] }))).toBeUndefined();
    await expect(app.as(ws, () => app.cache.set({ subject: 'Deal', parts: ['x'] }, 1))).resolves.toBeUndefined();

    proxy.restore();
    await untilStoreAnswers(app);
    await app.as(ws, () => app.cache.invalidate('Deal'));
    const loads = app.deals.loads;
    await app.as(ws, () => app.deals.pipeline('won'));
    await app.as(ws, () => app.deals.pipeline('won'));
    expect(app.deals.loads).toBe(loads + 1); // cached again
  });

  it('an invalidation that failed while Redis was unreachable is applied before the cache is used again: no stale hit', async () => {
    const ws = uuidv7();
    app.deals.revision = 10;
    await app.as(ws, () => app.deals.pipeline('won'));
    proxy.cut();
    const failed = await bypasses(registry, 'invalidation_failed');
    const { ms } = await timed(() => writes.publish({ workspaceId: ws, subject: 'Deal' })); // the audited write waits, bounded
    expect(ms).toBeLessThan(TIMEOUT_MS * 3);
    expect(await bypasses(registry, 'invalidation_failed')).toBe(failed + 1);
    app.deals.revision = 11;
    proxy.restore(); // the invalidation sent during the cut is lost with the connection
    await untilStoreAnswers(app); // a read: it applies the pending invalidation first

    // ...but this process applied its pending invalidation before it read again.
    expect((await app.as(ws, () => app.deals.pipeline('won'))).revision).toBe(11);
    expect((await other.as(ws, () => other.deals.pipeline('won'))).revision).toBe(11);
  });
});

describe('a store on a closed port (errors, swallowed by Keyv)', () => {
  const registry = new Registry();
  let app: CacheApp;
  beforeAll(async () => {
    const { prefix } = await redisStore();
    const closed = createKeyv(`redis://127.0.0.1:${await freePort()}`);
    app = await startCacheApp({ cache: { stores: [closed], prefix, timeoutMs: TIMEOUT_MS, metrics: { registry } } });
  });
  afterAll(() => app?.close());

  it('every read goes to the source, never throws, and is counted as a bypass, not a miss', async () => {
    const ws = uuidv7();
    for (let i = 0; i < 3; i++) {
      const { ms } = await timed(() => app.as(ws, () => app.deals.pipeline('won')));
      expect(ms).toBeLessThan(TIMEOUT_MS * 3);
    }
    expect(app.deals.loads).toBe(3);
    const counted = (await bypasses(registry, 'error')) + (await bypasses(registry, 'timeout'));
    expect(counted).toBe(3);
    const misses = (await registry.getMetricsAsJSON()).find((m) => m.name === 'acme_cache_misses_total');
    expect(misses?.values.reduce((sum, v) => sum + Number(v.value), 0) ?? 0).toBe(0);
    await expect(app.as(ws, () => app.cache.invalidate('Deal'))).resolves.toBeUndefined();
  });
});

describe('a store that refuses writes (OOM: errors that @keyv/redis swallows)', () => {
  const registry = new Registry();
  let server: StartedService;
  let admin: Redis;
  let app: CacheApp;
  let other: CacheApp;
  beforeAll(async () => {
    server = await startRedis({ strategies: ['embedded'], persistence: 'none' }); // its own: the test changes maxmemory
    admin = new Redis(server.url);
    const { prefix } = await redisStore(server.url);
    app = await startCacheApp({ cache: { stores: [createKeyv(server.url)], prefix, timeoutMs: TIMEOUT_MS, metrics: { registry } } });
    other = await startCacheApp({ cache: { stores: [createKeyv(server.url)], prefix, metrics: false } });
  });
  afterAll(async () => {
    await app?.close();
    await other?.close();
    admin?.disconnect();
    await server?.stop();
  });

  it('a refused invalidation is not taken for done: reads bypass until it is applied, and no stale entry is served', async () => {
    const ws = uuidv7();
    app.deals.revision = 1;
    await app.as(ws, () => app.deals.pipeline('won'));
    await admin.config('SET', 'maxmemory', '1'); // every write now fails with OOM; reads still work
    try {
      await app.as(ws, () => app.cache.invalidate('Deal'));
      expect(await bypasses(registry, 'invalidation_failed')).toBe(1);
      app.deals.revision = 2;
      expect((await app.as(ws, () => app.deals.pipeline('won'))).revision).toBe(2); // not the stale entry
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }
    expect((await app.as(ws, () => app.deals.pipeline('won'))).revision).toBe(2); // the retry applied it
    other.deals.revision = 3;
    expect((await other.as(ws, () => other.deals.pipeline('won'))).revision).toBe(2); // the entry loaded after it
  });
});
