import { AuditClusterPrefixError } from '@acme/nest-audit';
import { createRedisClusterNamespace, type RedisClusterNamespace } from '@acme/nest-testing';
import { Cluster } from 'ioredis';
import { register } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAuditFixture, eventually, type AuditFixture } from './support/audit-fixture';
import { bootAuditApp as boot, createNotes } from './support/notes-app';

const fallbacksRecorded = async () =>
  ((await register.getSingleMetric('acme_audit_fallbacks_total')?.get())?.values ?? []).reduce((sum, v) => sum + v.value, 0);

describe('queue.prefix on Redis Cluster', () => {
  let fixture: AuditFixture;
  let namespace: RedisClusterNamespace;
  let cluster: Cluster;
  beforeAll(async () => {
    [fixture, namespace] = await Promise.all([createAuditFixture(), createRedisClusterNamespace({ prefix: 'audit' })]);
    cluster = new Cluster([...namespace.nodes], { redisOptions: { maxRetriesPerRequest: null } });
  });
  afterAll(async () => {
    cluster?.disconnect();
    await fixture?.close();
  });
  beforeEach(() => fixture.clear());

  it('refuses a prefix without a hash tag at bootstrap, with the code and the fix (the default "bull" too)', async () => {
    const untagged = namespace.prefix.replace(/[{}]/g, '');
    const failure = boot({ database: { pool: fixture.pool }, queue: { connection: cluster, prefix: untagged } });
    await expect(failure).rejects.toBeInstanceOf(AuditClusterPrefixError);
    await expect(failure).rejects.toMatchObject({ code: 'AUDIT_CLUSTER_PREFIX', prefix: untagged });
    await expect(failure).rejects.toThrow(`prefix: '{${untagged}}'`);
    await expect(boot({ database: { pool: fixture.pool }, queue: { connection: cluster } })).rejects.toMatchObject({
      code: 'AUDIT_CLUSTER_PREFIX',
      prefix: 'bull',
    });
  });

  it('with a hash-tagged prefix it starts and entries travel through the queue on the cluster', async () => {
    const app = await boot({ database: { pool: fixture.pool }, queue: { connection: cluster, prefix: namespace.prefix }, batch: { maxWaitMs: 1 } });
    try {
      const fallbacks = await fallbacksRecorded();
      await createNotes(app, 0, 20, { flush: true });
      await eventually(async () => expect(await fixture.rows()).toHaveLength(20));
      expect(await fallbacksRecorded()).toBe(fallbacks); // through the queue, not written directly
      expect(await cluster.ping()).toBe('PONG'); // the app's instance: duplicated, never closed by the module
    } finally {
      await app.close();
    }
  });
});
