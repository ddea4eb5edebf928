import { uuidv7 } from '@acme/nest-context';
import { Logger } from '@nestjs/common';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { redisStore, startCacheApp, type CacheApp } from './support/cache-app';

describe('what cannot be stored or keyed', () => {
  const registry = new Registry();
  let app: CacheApp;
  beforeAll(async () => {
    const { store, prefix } = await redisStore();
    app = await startCacheApp({ cache: { stores: [store], prefix, metrics: { registry } } });
  });
  afterAll(() => app?.close());
  afterEach(() => vi.restoreAllMocks());

  const bypasses = async (reason: string) =>
    Number((await registry.getMetricsAsJSON()).find((m) => m.name === 'acme_cache_bypasses_total')?.values.find((v) => v.labels.reason === reason)?.value ?? 0);

  it('a value with a cycle is not cached, the result is still returned, and it is logged once', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const ws = uuidv7();
    const loads = app.deals.loads;
    for (let i = 0; i < 3; i++) {
      const report = (await app.as(ws, () => app.deals.report('won'))) as { self: unknown; stageId: string };
      expect(report.stageId).toBe('won');
      expect(report.self).toBe(report);
    }
    expect(app.deals.loads).toBe(loads + 3);
    expect(await bypasses('unserializable_value')).toBe(3);
    const logged = warn.mock.calls.filter(([message]) => String(message).includes('DealsService.report'));
    expect(logged).toHaveLength(1);
    expect(String(logged[0]![0])).toMatch(/not cached/);
  });

  it('a BigInt value is not cached either; TenantCache.set of it is a no-op', async () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const ws = uuidv7();
    const key = { subject: 'Deal', parts: ['big'] };
    expect(await app.as(ws, () => app.cache.wrap(key, () => ({ total: 10n })))).toEqual({ total: 10n });
    await app.as(ws, () => app.cache.set(key, { total: 10n }));
    expect(await app.as(ws, () => app.cache.get(key))).toBeUndefined();
  });

  it('arguments that are not plain data bypass the cache (counted), unless a key function picks plain data', async () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const ws = uuidv7();
    const before = await bypasses('unserializable_args');
    let loads = app.deals.loads;
    await app.as(ws, () => app.deals.pipeline('won', { callback: () => 1 }));
    await app.as(ws, () => app.deals.pipeline('won', { callback: () => 1 }));
    expect(app.deals.loads).toBe(loads + 2);
    expect(await bypasses('unserializable_args')).toBe(before + 2);

    loads = app.deals.loads;
    await app.as(ws, () => app.deals.byQuery({ stageId: 's', signal: () => undefined }));
    await app.as(ws, () => app.deals.byQuery({ stageId: 's', signal: () => undefined }));
    expect(app.deals.loads).toBe(loads + 1);
  });
});
