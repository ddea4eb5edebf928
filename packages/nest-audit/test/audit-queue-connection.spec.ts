import { createRedisNamespace } from '@acme/nest-testing';
import { Redis } from 'ioredis';
import { Registry, register } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAuditFixture, eventually, type AuditFixture } from './support/audit-fixture';
import { bootAuditApp as boot, createNotes } from './support/notes-app';
import { startRestartableRedis, type RestartableRedis } from './support/redis-server';

const recordedIn = async (registry: Registry, name: string) =>
  ((await registry.getSingleMetric(name)?.get())?.values ?? []).reduce((sum, value) => sum + value.value, 0);

/** Connections the Redis server has open. */
async function connectionCount(client: Redis): Promise<number> {
  const list = (await client.client('LIST')) as string;
  return list.split('\n').filter(Boolean).length;
}

describe('queue.connection takes BullMQ ConnectionOptions: ioredis options or an ioredis instance', () => {
  let fixture: AuditFixture;
  let volatile: RestartableRedis;
  beforeAll(async () => {
    [fixture, volatile] = await Promise.all([createAuditFixture(), startRestartableRedis('none')]);
  });
  afterAll(() => Promise.all([fixture.close(), volatile.close()]));
  beforeEach(() => fixture.clear());

  it('an ioredis instance: entries travel through the queue on copies of it; the app keeps its instance, open, and nothing of ours stays connected', async () => {
    const { url, prefix } = await createRedisNamespace();
    const instance = new Redis(url, { maxRetriesPerRequest: null });
    const observer = new Redis(url);
    try {
      const before = await connectionCount(observer);
      const fallbacks = await recordedIn(register, 'acme_audit_fallbacks_total');
      const app = await boot({ database: { pool: fixture.pool }, queue: { connection: instance, prefix }, batch: { maxWaitMs: 1 } });
      await createNotes(app, 0, 50, { flush: true });
      await eventually(async () => expect(await fixture.rows()).toHaveLength(50));
      expect(await recordedIn(register, 'acme_audit_fallbacks_total')).toBe(fallbacks); // through the queue, not written directly
      await app.close();
      expect(await instance.ping()).toBe('PONG'); // never closed by the module
      await eventually(async () => expect(await connectionCount(observer)).toBe(before));
    } finally {
      instance.disconnect();
      observer.disconnect();
    }
  });

  it('the startup check reads the Redis of the instance (not a default one): a volatile one is refused, accepted with allowVolatileRedis', async () => {
    const instance = new Redis(volatile.url, { maxRetriesPerRequest: null });
    try {
      const refused = await boot({ database: { pool: fixture.pool }, queue: { connection: instance } }).catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: 'CONTEXT_REDIS_NOT_DURABLE' });
      const app = await boot({ database: { pool: fixture.pool }, queue: { connection: instance, allowVolatileRedis: true } });
      await app.close();
      expect(await instance.ping()).toBe('PONG');
    } finally {
      instance.disconnect();
    }
  });

  it('a URL string is refused at bootstrap with AUDIT_INVALID_OPTIONS, saying to pass { url }', async () => {
    const failure = await boot({ database: { pool: fixture.pool }, queue: { connection: 'redis://127.0.0.1:6379' as never } }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'AUDIT_INVALID_OPTIONS' });
    expect(String((failure as Error).message)).toMatch(/\{ url: process\.env\.REDIS_URL \}/);
  });
});

describe('metrics: boolean | { registry, prefix }', () => {
  let fixture: AuditFixture;
  beforeAll(async () => {
    fixture = await createAuditFixture();
  });
  afterAll(() => fixture.close());

  it('a registry and a prefix of the app: the metrics are there under that prefix, not in the default registry', async () => {
    const registry = new Registry();
    const app = await boot({ database: { pool: fixture.pool }, metrics: { registry, prefix: 'crm_audit_' } });
    const before = await recordedIn(register, 'acme_audit_entries_recorded_total');
    await createNotes(app, 0, 5, { flush: true });
    await eventually(async () => expect(await recordedIn(registry, 'crm_audit_entries_written_total')).toBe(5));
    expect(await recordedIn(registry, 'crm_audit_entries_recorded_total')).toBe(5);
    expect(registry.getSingleMetric('acme_audit_entries_recorded_total')).toBeUndefined();
    expect(await recordedIn(register, 'acme_audit_entries_recorded_total')).toBe(before);
    await app.close();
  });

  it('metrics: false records none', async () => {
    const before = await recordedIn(register, 'acme_audit_entries_recorded_total');
    const app = await boot({ database: { pool: fixture.pool }, metrics: false });
    await createNotes(app, 100, 5, { flush: true });
    expect(await recordedIn(register, 'acme_audit_entries_recorded_total')).toBe(before);
    await app.close();
  });

  it('an invalid prefix or registry is refused at bootstrap with AUDIT_INVALID_OPTIONS', async () => {
    for (const metrics of [{ prefix: 'crm-audit' }, { registry: {} as Registry }]) {
      const failure = await boot({ database: { pool: fixture.pool }, metrics }).catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: 'AUDIT_INVALID_OPTIONS' });
    }
  });
});
