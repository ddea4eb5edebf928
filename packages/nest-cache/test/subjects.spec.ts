import { uuidv7 } from '@acme/nest-context';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStore, startCacheApp, TestAuditedWrites, type CacheApp } from './support/cache-app';

describe('an entry read from several subjects', () => {
  const writes = new TestAuditedWrites();
  let app: CacheApp;
  beforeAll(async () => {
    const { store, prefix } = await redisStore();
    app = await startCacheApp({ cache: { stores: [store], prefix, metrics: { registry: new Registry() } }, auditedWrites: writes, fingerprints: true });
  });
  afterAll(() => app?.close());

  /** Caches the company of a new workspace, then changes the source; returns the workspace and the stale revision. */
  async function warm(): Promise<{ w: string; stale: number }> {
    const w = uuidv7();
    const stale = (await app.as(w, () => app.deals.companyWithDeals('c1'))).revision;
    expect((await app.as(w, () => app.deals.companyWithDeals('c1'))).revision).toBe(stale); // served from the cache
    app.deals.revision++;
    return { w, stale };
  }
  const read = (w: string) => app.as(w, () => app.deals.companyWithDeals('c1'));

  it.each(['Company', 'Deal'])('is stale after a write of %s, any of its subjects', async (subject) => {
    const { w } = await warm();
    await writes.publish({ workspaceId: w, subject });
    expect((await read(w)).revision).toBe(app.deals.revision);
  });

  it('is still served after a write of a subject it does not name, or of another workspace', async () => {
    const { w, stale } = await warm();
    await writes.publish({ workspaceId: w, subject: 'Contact' });
    await writes.publish({ workspaceId: uuidv7(), subject: 'Deal' });
    expect((await read(w)).revision).toBe(stale);
  });

  it('is keyed by the fingerprint of every subject: rules that differ on one of them share nothing', async () => {
    const w = uuidv7();
    app.fingerprints!.byUser.set('admin', 'all');
    app.fingerprints!.byUser.set('rep', 'own');
    const asAdmin = await app.as(w, () => app.deals.companyWithDeals('c2'), 'admin');
    app.deals.revision++;
    expect((await app.as(w, () => app.deals.companyWithDeals('c2'), 'rep')).revision).toBe(app.deals.revision);
    expect((await app.as(w, () => app.deals.companyWithDeals('c2'), 'admin')).revision).toBe(asAdmin.revision);
  });

  it('refuses a key without a subject (CACHE_INVALID_KEY)', async () => {
    await expect(app.as(uuidv7(), () => app.cache.get({ subject: [], parts: ['x'] }))).rejects.toMatchObject({ code: 'CACHE_INVALID_KEY' });
  });
});

describe('enabled: false', () => {
  let app: CacheApp;
  beforeAll(async () => {
    const { store, prefix } = await redisStore();
    app = await startCacheApp({ cache: { stores: [store], prefix, enabled: false, metrics: false } });
  });
  afterAll(() => app?.close());

  it('every call reaches the source and nothing is stored', async () => {
    const w = uuidv7();
    const loads = app.deals.loads;
    await app.as(w, () => app.deals.pipeline('won'));
    await app.as(w, () => app.deals.pipeline('won'));
    expect(app.deals.loads).toBe(loads + 2);
    await app.as(w, () => app.cache.set({ subject: 'Deal', parts: ['k'] }, 1));
    expect(await app.as(w, () => app.cache.get({ subject: 'Deal', parts: ['k'] }))).toBeUndefined();
  });

  it('an audited write writes nothing to the store', async () => {
    const { store, prefix, url } = await redisStore();
    const writes = new TestAuditedWrites();
    const disabled = await startCacheApp({ cache: { stores: [store], prefix, enabled: false, metrics: false }, auditedWrites: writes });
    try {
      await writes.publish({ workspaceId: uuidv7(), subject: 'Deal' });
      const redis = new Redis(url);
      try {
        expect(await redis.keys(`${prefix}*`)).toEqual([]);
      } finally {
        redis.disconnect();
      }
    } finally {
      await disabled.close();
    }
  });
});
