import { createRedisNamespace } from '@acme/nest-testing';
import { ErrorBody } from '@acme-examples/crm-contracts';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RETRY_AFTER_SECONDS } from '../src/common/api-exception.filter';
import { migrateDatabase } from '../src/database/migrate-database';
import { seedDemo } from '../src/database/seed';
import { createHttpApp } from '../src/http-app';
import { operationsOf, pathOf, sampleBody, UNUSED_ID, type OpenApiDocument, type Operation } from './support/openapi-routes';
import { RestartablePostgres } from './support/restartable-postgres';
import { TEST_PASSWORDS, testAppEnv } from './support/test-app';

// PostgreSQL goes away under a running API (its server is stopped, as a crash or a restart would),
// then comes back: meanwhile every route answers 503 SERVICE_UNAVAILABLE with Retry-After (or a 4xx
// it can give without the database, or a read still in the cache), never a 500; afterwards the API
// serves again by itself.
describe('PostgreSQL outage', () => {
  let postgres: RestartablePostgres;
  let app: NestExpressApplication;
  let server: ReturnType<NestExpressApplication['getHttpServer']>;
  let operations: Operation[];
  let auth: { authorization: string };
  let password: string;

  beforeAll(async () => {
    postgres = await RestartablePostgres.start();
    await migrateDatabase({ ownerUrl: postgres.url, passwords: TEST_PASSWORDS });
    password = (await seedDemo(postgres.url, { argon2MemoryKib: 1024 })).password;
    const redis = await createRedisNamespace({ prefix: 'crmoutage' });
    app = await createHttpApp({
      env: testAppEnv(postgres.url, redis),
      logger: false,
    });
    await app.init();
    server = app.getHttpServer();
    operations = operationsOf((await request(server).get('/docs-json').expect(200)).body as OpenApiDocument);
    const login = await request(server).post('/auth/login').send({ email: 'ada@northwind.test', password }).expect(200);
    auth = { authorization: `Bearer ${login.body.access_token}` };
  });
  afterAll(async () => {
    await app?.close();
    await postgres?.destroy();
  });

  const signIn = () => request(server).post('/auth/login').send({ email: 'ada@northwind.test', password });
  const listCompanies = () => request(server).get('/companies').set(auth);
  /** Every route with a valid body where it takes one: only the database is missing. */
  const everyRoute = async () => {
    const answers: Record<string, string> = {};
    for (const operation of operations) {
      let call = request(server)[operation.method](pathOf(operation, UNUSED_ID)).set(auth);
      if (operation.body) call = call.send(sampleBody(operation.body));
      const response = await call;
      // `503 SERVICE_UNAVAILABLE (Retry-After 5)`; /health answers its own view ({ status: 'Degraded', ... }).
      const code = ErrorBody.safeParse(response.body).data?.code ?? (response.body as { status?: string }).status;
      const retryAfter = response.headers['retry-after'] === undefined ? '' : ` (Retry-After ${response.headers['retry-after']})`;
      answers[operation.route] = response.status < 400 ? String(response.status) : `${response.status} ${code}${retryAfter}`;
    }
    return answers;
  };

  it('serves while PostgreSQL is up (the control)', async () => {
    expect((await listCompanies()).status).toBe(200);
    expect(Object.values(await everyRoute()).filter((answer) => answer.startsWith('5'))).toEqual([]);
  });

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After on every route while PostgreSQL is down, then recovers by itself', async () => {
    await postgres.stop();
    try {
      const companies = await listCompanies();
      expect([companies.status, companies.body.code, companies.headers['retry-after']]).toEqual([503, 'SERVICE_UNAVAILABLE', String(RETRY_AFTER_SECONDS)]);
      expect(ErrorBody.parse(companies.body).request_id).toBe(companies.headers['x-request-id']);
      expect([(await signIn()).status, (await request(server).get('/audit').set(auth)).status]).toEqual([503, 503]);

      const answers = await everyRoute();
      // Every route needs the database, and none answers 500. The one exception: a read the cache
      // (Redis, still up) holds from before the outage, for a member whose membership this process
      // has cached too, is served from there (200).
      const unavailable = `503 SERVICE_UNAVAILABLE (Retry-After ${RETRY_AFTER_SECONDS})`;
      const cachedReads = new Set(['GET /companies', 'GET /companies/{id}', 'GET /deals', 'GET /deals/{id}']);
      const allowed = (route: string) => (route === 'GET /health' ? ['503 Degraded'] : cachedReads.has(route) ? [unavailable, '200'] : [unavailable]);
      const unexpected = Object.entries(answers).filter(([route, answer]) => !allowed(route).includes(answer));
      expect(unexpected).toEqual([]);
      expect(Object.keys(answers)).toEqual(operations.map(({ route }) => route));
      expect(Object.keys(answers).length).toBeGreaterThanOrEqual(20);
    } finally {
      await postgres.restart();
    }

    // The pools drop the connections the server closed and open new ones: no restart of the API.
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await listCompanies()).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(200);
    expect((await signIn()).status).toBe(200);
    const created = await request(server).post('/companies').set(auth).send({ name: 'After the outage', industry: 'Software', size_range: '1-10' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(Object.values(await everyRoute()).filter((answer) => answer.startsWith('5'))).toEqual([]);
  });
});
