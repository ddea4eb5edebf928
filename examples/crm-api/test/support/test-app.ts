import { createRedisNamespace, createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { APP_ROLE, SYSTEM_ROLE, urlForRole } from '../../src/database/database-roles';
import { migrateDatabase } from '../../src/database/migrate-database';
import { createHttpApp } from '../../src/http-app';

export const TEST_PASSWORDS = { app: 'crm-app-test-password', system: 'crm-system-test-password' };

export interface TestApp {
  app: NestExpressApplication;
  /** The HTTP server, for supertest. */
  server: ReturnType<NestExpressApplication['getHttpServer']>;
  ownerUrl: string;
  env: Record<string, string>;
  close(): Promise<void>;
}

/** The app's environment for tests: the database (by its owner URL) and a Redis namespace of its own. */
export function testAppEnv(databaseUrl: string, redis: { url: string; prefix: string }): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: urlForRole(databaseUrl, APP_ROLE, TEST_PASSWORDS.app),
    SYSTEM_DATABASE_URL: urlForRole(databaseUrl, SYSTEM_ROLE, TEST_PASSWORDS.system),
    REDIS_URL: redis.url,
    // Each test app gets its own queues on the shared Redis.
    QUEUE_PREFIX: redis.prefix,
    JWT_SECRET: 'test-secret-test-secret-test-secret-0123456789',
    LOG_LEVEL: 'silent',
    // Cheaper hashes in tests; the production default is OWASP's 19 MiB.
    ARGON2_MEMORY_KIB: '1024',
    // No worker process in these tests: the API writes the audit entries it queues.
    AUDIT_WRITER_IN_API: 'true',
    // Tests send hundreds of requests a second as one user; the rate-limit tests lower these.
    RATE_LIMIT_WORKSPACE_PER_MINUTE: '1000000',
    RATE_LIMIT_USER_PER_MINUTE: '1000000',
  };
}

/**
 * The real app on a fresh database of the shared test PostgreSQL (migrated: roles, tables, RLS)
 * and the shared test Redis, exactly as main.ts builds it.
 */
export async function startTestApp(extraEnv: Record<string, string> = {}): Promise<TestApp> {
  const database: TestDatabase = await createTestDatabase({ prefix: 'crm' });
  await migrateDatabase({ ownerUrl: database.url, passwords: TEST_PASSWORDS });
  const redis = await createRedisNamespace({ prefix: 'crm' });
  const env = { ...testAppEnv(database.url, redis), ...extraEnv };
  const app = await createHttpApp({ env });
  await app.init();
  return {
    app,
    server: app.getHttpServer(),
    ownerUrl: database.url,
    env,
    close: async () => {
      await app.close();
      await database.drop();
    },
  };
}
