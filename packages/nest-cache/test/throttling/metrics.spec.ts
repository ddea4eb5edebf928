import { RedisThrottlerStorage, TenantCacheModule } from '@acme/nest-cache';
import { uuidv7 } from '@acme/nest-context';
import { bearer, startHttpApp, startRedis, type HttpTestApp, type StartedService } from '@acme/nest-testing';
import Keyv from 'keyv';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { throttledModule } from './support';

const value = async (registry: Registry, name: string, labels: Record<string, string>) =>
  (await registry.getSingleMetric(name)?.get())?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;

describe('TenantThrottlerGuard counts into CacheMetrics when TenantCacheModule is imported', () => {
  const registry = new Registry();
  let redis: StartedService;
  let http: HttpTestApp;
  beforeAll(async () => {
    redis = await startRedis({ strategies: ['embedded'], persistence: 'none' });
    http = await startHttpApp(
      throttledModule({
        storage: new RedisThrottlerStorage({ connection: { url: redis.url }, prefix: 'metrics', timeoutMs: 300 }),
        throttlers: [{ name: 'workspace', limit: 1, ttl: 60_000 }],
        imports: [TenantCacheModule.forRoot({ stores: [new Keyv()], metrics: { registry } })],
      }),
      'express',
    );
  });
  afterAll(async () => {
    await http?.close();
    await redis?.stop();
  });

  it('a refusal counts throttled_total{route}; a request let through unchecked counts bypasses_total{reason="throttler_unavailable"}', async () => {
    const headers = bearer({ ws: uuidv7() });
    expect((await http.request('GET', '/items', { headers })).status).toBe(200);
    expect((await http.request('GET', '/items/7', { headers })).status).toBe(429);
    expect(await value(registry, 'acme_cache_throttled_total', { route: 'GET /items/:id' })).toBe(1);

    await redis.stop();
    expect((await http.request('GET', '/items', { headers })).status).toBe(200);
    expect(await value(registry, 'acme_cache_bypasses_total', { reason: 'throttler_unavailable' })).toBe(1);
  });
});
