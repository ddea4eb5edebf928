import { uuidv7 } from '@acme/nest-context';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStore, startCacheApp, type CacheApp } from './support/cache-app';

describe('stampede control', () => {
  let app: CacheApp;
  beforeAll(async () => {
    const { store, prefix } = await redisStore();
    app = await startCacheApp({ cache: { stores: [store], prefix, metrics: false } });
  });
  afterAll(() => app?.close());

  it('50 concurrent misses of one key run the loader once, and all get its result', async () => {
    const ws = uuidv7();
    app.deals.delayMs = 50;
    const results = await Promise.all(Array.from({ length: 50 }, () => app.as(ws, () => app.deals.pipeline('won'))));
    expect(app.deals.loads).toBe(1);
    expect(new Set(results.map((result) => JSON.stringify(result))).size).toBe(1);
    app.deals.delayMs = 0;
  });

  it('an error reaches every waiter and is not cached', async () => {
    const ws = uuidv7();
    let calls = 0;
    const key = { subject: 'Deal', parts: ['failing'] };
    const loader = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 30));
      if (calls === 1) throw new Error('source down');
      return 'ok';
    };
    const settled = await Promise.allSettled(Array.from({ length: 10 }, () => app.as(ws, () => app.cache.wrap(key, loader))));
    expect(settled.every((result) => result.status === 'rejected')).toBe(true);
    expect(calls).toBe(1);
    expect(await app.as(ws, () => app.cache.wrap(key, loader))).toBe('ok');
    expect(calls).toBe(2);
  });
});
