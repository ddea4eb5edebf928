import { createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import { CompanyView, ErrorBody } from '@acme-examples/crm-contracts';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../src/database/migrate-database';
import { seedDemo } from '../src/database/seed';
import { createHttpApp } from '../src/http-app';
import { registryValue } from './support/metrics';
import { RestartableRedis } from './support/restartable-redis';
import { TEST_PASSWORDS, testAppEnv } from './support/test-app';

// Redis (cache, rate limits, queues) stops under the running API, then comes back: the cached
// reads keep answering from PostgreSQL, never 5xx and never stale, each counted as a bypass; once
// Redis is back, caching resumes by itself. The counters are read from the registry in this
// process: GET /metrics waits on Redis while it is down (the queue gauges read it on scrape).
const hitsNow = () => registryValue('acme_cache_hits_total');
const bypassesNow = () => registryValue('acme_cache_bypasses_total');
describe('cached reads while Redis is down', () => {
  let redis: RestartableRedis;
  let database: TestDatabase;
  let app: NestExpressApplication;
  let server: ReturnType<NestExpressApplication['getHttpServer']>;
  let auth: { authorization: string };
  let companyId: string;
  let reads: string[];
  let before: Map<string, string>;

  const get = (path: string) => request(server).get(path).set(auth);

  beforeAll(async () => {
    redis = await RestartableRedis.start();
    database = await createTestDatabase({ prefix: 'crmcacheout' });
    await migrateDatabase({ ownerUrl: database.url, passwords: TEST_PASSWORDS });
    const { password } = await seedDemo(database.url, { argon2MemoryKib: 1024 });
    app = await createHttpApp({ env: testAppEnv(database.url, { url: redis.url, prefix: 'crmcacheout' }), logger: false });
    await app.init();
    server = app.getHttpServer();
    const login = await request(server).post('/auth/login').send({ email: 'ada@northwind.test', password }).expect(200);
    auth = { authorization: `Bearer ${login.body.access_token}` };
    const companies = (await get('/companies?limit=100').expect(200)).body.items as { id: string }[];
    const deals = (await get('/deals?limit=100').expect(200)).body.items as { id: string }[];
    companyId = companies[0]!.id;
    reads = ['/companies?limit=100', `/companies/${companyId}`, '/deals?limit=100', `/deals/${deals[0]!.id}`];
  });
  afterAll(async () => {
    await app?.close();
    await redis?.destroy();
    await database?.drop();
  });

  it('reads are cached while Redis is up', async () => {
    before = new Map();
    for (const path of reads) before.set(path, JSON.stringify((await get(path).expect(200)).body));
    const hits = await hitsNow();
    for (const path of reads) await get(path).expect(200);
    expect(await hitsNow()).toBe(hits + reads.length);
  });

  it('Redis stopped: every cached read answers 200 from PostgreSQL, counted as bypasses', async () => {
    await redis.stop();
    const bypasses = await bypassesNow();
    for (let round = 0; round < 2; round++) {
      for (const path of reads) {
        const started = Date.now();
        const response = await get(path);
        expect(response.status, `${path}: ${JSON.stringify(response.body)}`).toBe(200);
        expect(JSON.stringify(response.body), path).toBe(before.get(path));
        expect(Date.now() - started, `${path} waited on Redis`).toBeLessThan(2_500);
      }
    }
    expect(await bypassesNow()).toBeGreaterThanOrEqual(bypasses + reads.length * 2);
  });

  it('a write during the outage is never hidden by an entry cached before it', async () => {
    // The write needs the audit queue (Redis) too: it either succeeds (the entry waits in the
    // audit spool) or is refused as unavailable; never a 500.
    const update = await request(server).patch(`/companies/${companyId}`).set(auth).send({ name: 'Renamed During The Outage' });
    expect([200, 503], JSON.stringify(update.body)).toContain(update.status);
    if (update.status === 503) expect(ErrorBody.parse(update.body).code).toBe('SERVICE_UNAVAILABLE');
    const expected = update.status === 200 ? 'Renamed During The Outage' : CompanyView.parse(JSON.parse(before.get(`/companies/${companyId}`)!)).name;
    expect(CompanyView.parse((await get(`/companies/${companyId}`).expect(200)).body).name).toBe(expected);
    expect((await get('/companies?limit=100').expect(200)).body.items.map((c: { name: string }) => c.name)).toContain(expected);

    await redis.restart();
    // Back: the entries from before the outage are still in Redis (AOF), but the write made them
    // stale. Caching resumes once the client has reconnected: a read twice is then one hit.
    await expect
      .poll(
        async () => {
          await get(`/companies/${companyId}`).expect(200);
          const hits = await hitsNow();
          await get(`/companies/${companyId}`).expect(200);
          return (await hitsNow()) - hits;
        },
        { timeout: 15_000, interval: 250 },
      )
      .toBe(1);
    expect(CompanyView.parse((await get(`/companies/${companyId}`).expect(200)).body).name).toBe(expected);
    expect((await get('/companies?limit=100').expect(200)).body.items.map((c: { name: string }) => c.name)).toContain(expected);
  });
});
