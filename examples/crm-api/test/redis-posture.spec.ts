import { createTestDatabase, startRedis, type StartedService, type TestDatabase } from '@acme/nest-testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../src/config/env.schema';
import { APP_ROLE, SYSTEM_ROLE, urlForRole } from '../src/database/database-roles';
import { migrateDatabase } from '../src/database/migrate-database';
import { createHttpApp } from '../src/http-app';
import { TEST_PASSWORDS } from './support/test-app';

const GOOD_ENV = {
  DATABASE_URL: 'postgres://crm_app:x@127.0.0.1:5432/crm',
  SYSTEM_DATABASE_URL: 'postgres://crm_system:x@127.0.0.1:5432/crm',
  REDIS_URL: 'redis://127.0.0.1:6379',
  JWT_SECRET: 'x'.repeat(32),
};

describe('REDIS_ALLOW_VOLATILE', () => {
  it('is off unless set to a boolean; anything else stops startup naming it', () => {
    expect(parseEnv(GOOD_ENV).REDIS_ALLOW_VOLATILE).toBe(false);
    expect(parseEnv({ ...GOOD_ENV, REDIS_ALLOW_VOLATILE: 'true' }).REDIS_ALLOW_VOLATILE).toBe(true);
    expect(() => parseEnv({ ...GOOD_ENV, REDIS_ALLOW_VOLATILE: 'sometimes' })).toThrow(/REDIS_ALLOW_VOLATILE/);
  });
});

describe('the API on a Redis without AOF', () => {
  let database: TestDatabase;
  let volatile: StartedService;
  beforeAll(async () => {
    [database, volatile] = await Promise.all([createTestDatabase({ prefix: 'crm' }), startRedis({ strategies: ['embedded'], persistence: 'none' })]);
    await migrateDatabase({ ownerUrl: database.url, passwords: TEST_PASSWORDS });
  });
  afterAll(async () => {
    await volatile?.stop();
    await database?.drop();
  });

  const env = (extra: Record<string, string> = {}) => ({
    NODE_ENV: 'test',
    DATABASE_URL: urlForRole(database.url, APP_ROLE, TEST_PASSWORDS.app),
    SYSTEM_DATABASE_URL: urlForRole(database.url, SYSTEM_ROLE, TEST_PASSWORDS.system),
    REDIS_URL: volatile.url,
    QUEUE_PREFIX: 'crm-posture',
    JWT_SECRET: 'test-secret-test-secret-test-secret-0123456789',
    LOG_LEVEL: 'silent',
    ...extra,
  });

  it('refuses to start: CONTEXT_REDIS_NOT_DURABLE, saying what to change', async () => {
    const app = await createHttpApp({ env: env(), logger: false });
    const failure = await app.init().then(
      () => undefined,
      (error: unknown) => error,
    );
    await app.close().catch(() => undefined);
    expect(failure).toMatchObject({ code: 'CONTEXT_REDIS_NOT_DURABLE' });
    expect(String((failure as Error).message)).toContain('appendonly');
  });

  it('starts with REDIS_ALLOW_VOLATILE=true, and /metrics says the queues and the audit run on a volatile Redis', async () => {
    const app = await createHttpApp({ env: env({ REDIS_ALLOW_VOLATILE: 'true' }), logger: false });
    try {
      await app.init();
      const metrics = (await request(app.getHttpServer()).get('/metrics')).text;
      expect(metrics).toMatch(/^acme_queues_redis_volatile 1$/m);
      expect(metrics).toMatch(/^acme_audit_redis_volatile 1$/m);
    } finally {
      await app.close();
    }
  });
});
