import { ContextModule } from '@acme/nest-context';
import { freePort } from '@acme/nest-testing';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditModule, type AuditModuleOptions } from '@acme/nest-audit';
import { createAuditFixture, type AuditFixture } from './support/audit-fixture';
import { startRestartableRedis, type RestartableRedis } from './support/redis-server';

async function boot(options: AuditModuleOptions) {
  @Module({ imports: [ContextModule.forRoot(), AuditModule.forRoot(options)] })
  class AppModule {}
  return NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
}

const volatileGauge = async () => (await register.getSingleMetric('acme_audit_redis_volatile')?.get())?.values[0]?.value;

describe('the queue refuses a Redis that could drop batches silently', () => {
  let fixture: AuditFixture;
  let volatile: RestartableRedis;
  let durable: RestartableRedis;
  beforeAll(async () => {
    [fixture, volatile, durable] = await Promise.all([createAuditFixture(), startRestartableRedis('none'), startRestartableRedis('aof')]);
  });
  afterAll(() => Promise.all([fixture.close(), volatile.close(), durable.close()]));

  it('AOF off: startup fails with CONTEXT_REDIS_NOT_DURABLE, naming the setting, the fix and the option', async () => {
    const failure = await boot({ database: { pool: fixture.pool }, queue: { connection: { url: volatile.url } } }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'CONTEXT_REDIS_NOT_DURABLE' });
    expect(String((failure as Error).message)).toMatch(/appendonly/);
    expect(String((failure as Error).message)).toMatch(/queue\.allowVolatileRedis/);
  });

  it('an eviction policy other than noeviction: refused too', async () => {
    const client = new Redis(durable.url);
    await client.config('SET', 'maxmemory-policy', 'allkeys-lru');
    try {
      const failure = await boot({ database: { pool: fixture.pool }, queue: { connection: { url: durable.url } } }).catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: 'CONTEXT_REDIS_NOT_DURABLE' });
      expect(String((failure as Error).message)).toMatch(/noeviction/);
    } finally {
      await client.config('SET', 'maxmemory-policy', 'noeviction');
      client.disconnect();
    }
  });

  it('allowVolatileRedis: starts, and the gauge says the Redis is volatile', async () => {
    const app = await boot({ database: { pool: fixture.pool }, queue: { connection: { url: volatile.url }, allowVolatileRedis: true } });
    expect(await volatileGauge()).toBe(1);
    await app.close();
  });

  it('AOF on and noeviction: starts, not volatile', async () => {
    const app = await boot({ database: { pool: fixture.pool }, queue: { connection: { url: durable.url } } });
    expect(await volatileGauge()).toBe(0);
    await app.close();
  });

  it('Redis unreachable at startup: AUDIT_REDIS_UNREACHABLE', async () => {
    const failure = await boot({ database: { pool: fixture.pool }, queue: { connection: { url: `redis://127.0.0.1:${await freePort()}` } } }).catch(
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ code: 'AUDIT_REDIS_UNREACHABLE' });
  });
});
