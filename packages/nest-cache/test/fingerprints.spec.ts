import { uuidv7 } from '@acme/nest-context';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStore, startCacheApp, type CacheApp } from './support/cache-app';

async function counter(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return Number(value?.value ?? 0);
}

describe('entries belong to one permission fingerprint', () => {
  const registry = new Registry();
  let app: CacheApp;
  beforeAll(async () => {
    const { store, prefix } = await redisStore();
    app = await startCacheApp({ cache: { stores: [store], prefix, metrics: { registry } }, fingerprints: true });
  });
  afterAll(() => app?.close());

  it('callers with different fingerprints never share an entry', async () => {
    const ws = uuidv7();
    app.fingerprints!.byUser.set('manager', 'all-deals');
    app.fingerprints!.byUser.set('rep', 'own-deals');
    const asManager = await app.as(ws, () => app.deals.pipeline('won'), 'manager');
    app.deals.revision = 2;
    const asRep = await app.as(ws, () => app.deals.pipeline('won'), 'rep');
    expect(asManager.revision).toBe(1);
    expect(asRep.revision).toBe(2);
    expect(app.deals.loads).toBe(2);
    // And a caller without abilities (a job) shares neither.
    app.deals.revision = 3;
    expect((await app.as(ws, () => app.deals.pipeline('won'), 'job-without-fingerprint')).revision).toBe(3);
  });

  it('callers with identical fingerprints share it, and the hit is counted', async () => {
    const ws = uuidv7();
    app.fingerprints!.byUser.set('alice', 'team-a');
    app.fingerprints!.byUser.set('bob', 'team-a');
    const hits = await counter(registry, 'acme_cache_hits_total', { subject: 'Company' });
    const misses = await counter(registry, 'acme_cache_misses_total', { subject: 'Company' });
    const loads = app.deals.loads;
    const forAlice = await app.as(ws, () => app.deals.company('c1'), 'alice');
    app.deals.revision = 99;
    expect(await app.as(ws, () => app.deals.company('c1'), 'bob')).toEqual(forAlice);
    expect(app.deals.loads).toBe(loads + 1);
    expect(await counter(registry, 'acme_cache_hits_total', { subject: 'Company' })).toBe(hits + 1);
    expect(await counter(registry, 'acme_cache_misses_total', { subject: 'Company' })).toBe(misses + 1);
  });
});
