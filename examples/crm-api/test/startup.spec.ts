import { checkDistributionReadiness } from '@acme/nest-tenancy';
import { drizzle } from 'drizzle-orm/node-postgres';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidEnvironmentError, parseEnv } from '../src/config/env.schema';
import { rlsMigrationSql } from '../src/database/rls-migration';
import { migrationsFolder } from '../src/database/migrate-database';
import { schema } from '../src/database/schema';
import { createHttpApp } from '../src/http-app';
import { startTestApp, type TestApp } from './support/test-app';

const GOOD_ENV = {
  DATABASE_URL: 'postgres://crm_app:x@127.0.0.1:5432/crm',
  SYSTEM_DATABASE_URL: 'postgres://crm_system:x@127.0.0.1:5432/crm',
  REDIS_URL: 'redis://127.0.0.1:6379',
  JWT_SECRET: 'x'.repeat(32),
};

describe('environment', () => {
  it('a valid environment gets its defaults', () => {
    expect(parseEnv(GOOD_ENV)).toMatchObject({ PORT: 3000, ACCESS_TOKEN_TTL_SECONDS: 900, BODY_LIMIT: '100kb', LOG_LEVEL: 'info' });
  });

  it('a missing or bad variable stops startup with a message naming it', () => {
    const { JWT_SECRET: _secret, ...missing } = GOOD_ENV;
    expect(() => parseEnv(missing)).toThrow(/JWT_SECRET: missing/);
    expect(() => parseEnv({ ...GOOD_ENV, REDIS_URL: 'http://x', PORT: 'eighty' })).toThrow(InvalidEnvironmentError);
    try {
      parseEnv({ ...GOOD_ENV, REDIS_URL: 'http://x', PORT: 'eighty' });
    } catch (error) {
      expect((error as InvalidEnvironmentError).problems.map((p) => p.split(':')[0]).sort()).toEqual(['PORT', 'REDIS_URL']);
    }
  });

  it("production refuses password hashing below OWASP's argon2id memory cost; tests and the demo may lower it", () => {
    expect(() => parseEnv({ ...GOOD_ENV, NODE_ENV: 'production', ARGON2_MEMORY_KIB: '1024' })).toThrow(
      /ARGON2_MEMORY_KIB: must be at least 19456 in production/,
    );
    expect(parseEnv({ ...GOOD_ENV, NODE_ENV: 'production' })).toMatchObject({ ARGON2_MEMORY_KIB: 19_456 });
    expect(parseEnv({ ...GOOD_ENV, NODE_ENV: 'test', ARGON2_MEMORY_KIB: '1024' })).toMatchObject({ ARGON2_MEMORY_KIB: 1024 });
  });

  it('the app itself refuses to boot on a bad variable', async () => {
    await expect(createHttpApp({ env: { ...GOOD_ENV, JWT_SECRET: 'short', LOG_LEVEL: 'silent' }, logger: false })).rejects.toThrow(/JWT_SECRET/);
  });
});

describe('database posture', () => {
  it('the RLS migration is exactly tenantPolicySql() of every tenant table (regenerate with scripts/write-rls-migration.ts)', () => {
    expect(readFileSync(join(migrationsFolder(), '0001_rls_policies.sql'), 'utf8')).toBe(rlsMigrationSql());
  });
});

describe('running app', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  it('boots with rls: true (TenancyModule checked the posture: runtime role is no owner, no superuser, no BYPASSRLS)', async () => {
    const health = await request(t.server).get('/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'Ok', checks: { database: 'Up', redis: 'Up' } });
  });

  it('the migrated schema is ready for Citus: tenant tables co-located by workspace_id, the shared ones reference tables', async () => {
    const db = drizzle({ connection: t.ownerUrl });
    try {
      const result = await checkDistributionReadiness(db, schema);
      expect(result.problems).toEqual([]);
      expect(result.ready).toBe(true);
      expect(result.distributed).toEqual(['public.companies', 'public.activities', 'public.contacts', 'public.deals', 'public.memberships']);
      expect(result.reference).toEqual(['public.users', 'public.workspaces', 'public.refresh_tokens']);
      expect(result.statements[3]).toBe(`SELECT create_distributed_table('"public"."companies"', 'workspace_id');`);
    } finally {
      await db.$client.end();
    }
  });

  it('serves OpenAPI at /docs-json and Swagger UI at /docs', async () => {
    const document = (await request(t.server).get('/docs-json')).body;
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/companies', '/companies/{id}', '/deals/{id}/stage', '/me', '/auth/login']));
    expect(document.components.schemas).toHaveProperty('CompanyView_Output');
    expect((await request(t.server).get('/docs')).status).toBe(200);
  });

  it('serves Prometheus metrics with the HTTP histogram', async () => {
    await request(t.server).get('/health');
    const metrics = (await request(t.server).get('/metrics')).text;
    expect(metrics).toContain('http_request_duration_seconds_bucket');
    expect(metrics).toContain('route="/health"');
    expect(metrics).toContain('process_cpu_user_seconds_total');
  });

  it('echoes the request id and puts it in error bodies', async () => {
    const response = await request(t.server).get('/companies').set('x-request-id', 'trace-123');
    expect(response.headers['x-request-id']).toBe('trace-123');
    expect(response.body).toMatchObject({ code: 'UNAUTHENTICATED', request_id: 'trace-123' });
  });
});
