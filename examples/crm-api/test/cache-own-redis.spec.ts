import { CompanyView } from '@acme-examples/crm-contracts';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCrmFixture, type CrmFixture } from './support/fixture';
import { cacheHits } from './support/metrics';
import { RestartableRedis } from './support/restartable-redis';

// CACHE_REDIS_URL puts the cache on a Redis of its own (what the README advises for production):
// every entry and version lives there, none on the queues' Redis, and invalidation still works.
describe('the cache on a Redis of its own (CACHE_REDIS_URL)', () => {
  let cacheRedis: RestartableRedis;
  let f: CrmFixture;
  const clients: Redis[] = [];

  const cacheKeys = async (url: string) => {
    const client = new Redis(url, { lazyConnect: true });
    clients.push(client);
    await client.connect();
    return client.keys(`${f.env.QUEUE_PREFIX!.replace(/[{}]/g, '')}:cache:*`);
  };

  beforeAll(async () => {
    cacheRedis = await RestartableRedis.start();
    f = await startCrmFixture({ CACHE_REDIS_URL: cacheRedis.url });
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await f?.close();
    await cacheRedis?.stop();
  });

  it('keeps entries and versions on CACHE_REDIS_URL only, hits them, and invalidates them on a write', async () => {
    const page = await request(f.server).get('/companies?limit=1').set(f.as('admin')).expect(200);
    const id = (page.body.items as { id: string }[])[0]!.id;
    const hits = await cacheHits(f.server, 'Company');
    await request(f.server).get(`/companies/${id}`).set(f.as('admin')).expect(200);
    await request(f.server).get(`/companies/${id}`).set(f.as('admin')).expect(200);
    expect(await cacheHits(f.server, 'Company')).toBe(hits + 1);

    expect((await cacheKeys(cacheRedis.url)).length).toBeGreaterThan(0);
    expect(await cacheKeys(f.env.REDIS_URL!)).toEqual([]);

    await request(f.server).patch(`/companies/${id}`).set(f.as('admin')).send({ name: 'Renamed on its own Redis' }).expect(200);
    const after = CompanyView.parse((await request(f.server).get(`/companies/${id}`).set(f.as('admin')).expect(200)).body);
    expect(after.name).toBe('Renamed on its own Redis');
  });
});
