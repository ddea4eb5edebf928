import { CacheScopeError } from '@acme/nest-cache';
import { uuidv7 } from '@acme/nest-context';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStore, startCacheApp, type CacheApp } from './support/cache-app';

describe('entries belong to one workspace', () => {
  let app: CacheApp;
  beforeAll(async () => {
    const { store, prefix } = await redisStore();
    app = await startCacheApp({ cache: { stores: [store], prefix, metrics: false } });
  });
  afterAll(() => app?.close());

  it('an entry written in workspace A is never served in B (same method, same arguments)', async () => {
    const [a, b] = [uuidv7(), uuidv7()];
    const inA = await app.as(a, () => app.deals.pipeline('won'));
    expect(app.deals.loads).toBe(1);
    expect(await app.as(a, () => app.deals.pipeline('won'))).toEqual(inA); // a hit in A
    expect(app.deals.loads).toBe(1);

    app.deals.revision = 2;
    const inB = await app.as(b, () => app.deals.pipeline('won'));
    expect(inB.revision).toBe(2); // loaded in B, not A's entry
    expect(app.deals.loads).toBe(2);
    expect((await app.as(a, () => app.deals.pipeline('won'))).revision).toBe(1);
  });

  it('a hit returns the value as loaded: Dates stay Dates, arguments in any key order share an entry', async () => {
    const ws = uuidv7();
    const first = await app.as(ws, () => app.deals.pipeline('open', { page: 2, sort: 'name' }));
    const again = await app.as(ws, () => app.deals.pipeline('open', { sort: 'name', page: 2 }));
    expect(again).toEqual(first);
    expect(again.at).toBeInstanceOf(Date);
    const loads = app.deals.loads;
    await app.as(ws, () => app.deals.pipeline('open', { sort: 'name', page: 3 }));
    expect(app.deals.loads).toBe(loads + 1);
  });

  it('the TenantCache API is scoped the same way', async () => {
    const [a, b] = [uuidv7(), uuidv7()];
    const key = { subject: 'Deal', parts: ['board', 7] };
    await app.as(a, () => app.cache.set(key, { secret: 'A' }));
    expect(await app.as(a, () => app.cache.get(key))).toEqual({ secret: 'A' });
    expect(await app.as(b, () => app.cache.get(key))).toBeUndefined();
    await app.as(a, () => app.cache.del(key));
    expect(await app.as(a, () => app.cache.get(key))).toBeUndefined();
  });

  it('no workspace: CACHE_NO_WORKSPACE, and the source is not called', async () => {
    const loads = app.deals.loads;
    const error = await app.as(null, () => app.deals.pipeline('won')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CacheScopeError);
    expect((error as CacheScopeError).code).toBe('CACHE_NO_WORKSPACE');
    expect(app.deals.loads).toBe(loads);
    await expect(app.as(null, () => app.cache.get({ subject: 'Deal', parts: [] }))).rejects.toMatchObject({ code: 'CACHE_NO_WORKSPACE' });
    await expect(app.cache.invalidate('Deal')).rejects.toMatchObject({ code: 'CACHE_NO_WORKSPACE' });
  });

  it('global: true works without a workspace, and is shared by every workspace', async () => {
    const loads = app.deals.loads;
    const outside = await app.as(null, () => app.deals.currencies());
    expect(await app.as(uuidv7(), () => app.deals.currencies())).toEqual(outside);
    expect(app.deals.loads).toBe(loads + 1);
    await app.as(null, () => app.cache.set({ subject: 'Country', parts: ['all'] }, ['FR'], { global: true }));
    expect(await app.cache.get({ subject: 'Country', parts: ['all'] }, { global: true })).toEqual(['FR']);
  });
});
