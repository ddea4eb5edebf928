import { Queue } from 'bullmq';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAuditFixture, eventually, type AuditFixture } from './support/audit-fixture';
import { bootAuditApp as boot, createNotes } from './support/notes-app';
import { startRestartableRedis, type RestartableRedis } from './support/redis-server';

async function redelivered(): Promise<number> {
  const values = (await register.getSingleMetric('acme_audit_redelivered_total')?.get())?.values ?? [];
  return values.filter((value) => value.labels.reason === 'lost').reduce((sum, value) => sum + value.value, 0);
}

/**
 * The gap no Redis setting closes: batches the queue acknowledged, then lost (a restart
 * without persistence, a failover to a replica that was behind) while no worker had taken them.
 */
describe('a Redis that loses the waiting batches', () => {
  let fixture: AuditFixture;
  let redis: RestartableRedis;
  beforeAll(async () => {
    fixture = await createAuditFixture();
  });
  afterAll(() => fixture.close());
  beforeEach(async () => {
    await fixture.clear();
    redis = await startRestartableRedis('none');
    return () => redis.close();
  });

  const stored = async (): Promise<{ total: number; distinct: number }> => {
    const { rows } = await fixture.pool.query('SELECT count(*)::int AS total, count(DISTINCT subject_id)::int AS distinct FROM audit_log');
    return rows[0];
  };

  /** 500 entries wait in the queue with no worker; Redis restarts empty; then a worker starts. */
  async function loseTheQueue(redeliverAfterMs: number) {
    const spoolDir = await mkdtemp(join(tmpdir(), 'audit-redelivery-'));
    const queue = { connection: { url: redis.url }, allowVolatileRedis: true, redeliverAfterMs };
    const api = await boot({ database: { pool: fixture.pool }, spoolDir, queue: { ...queue, consumer: false }, batch: { maxSize: 50, maxWaitMs: 1 } });
    await createNotes(api, 0, 500, { flush: true });
    const inspector = new Queue('audit-write', { connection: { url: redis.url, maxRetriesPerRequest: null } });
    expect((await inspector.getJobCounts('waiting')).waiting).toBe(10);
    await inspector.close();

    await redis.stop();
    await redis.start(); // no AOF: the 10 jobs are gone
    const worker = await boot({ database: { pool: fixture.pool }, queue });
    return { api, worker };
  }

  it('the producer sends again what the queue lost: every entry stored, once', async () => {
    const before = await redelivered();
    const { api, worker } = await loseTheQueue(1_000);
    try {
      await eventually(async () => expect(await stored()).toEqual({ total: 500, distinct: 500 }), 20_000);
      expect(await redelivered()).toBeGreaterThanOrEqual(before + 10);
    } finally {
      await api.close();
      await worker.close();
    }
  });

  it('without redelivery (beyond the test) those entries are lost: the loss the test above proves is covered', async () => {
    const { api, worker } = await loseTheQueue(600_000);
    try {
      // A later batch goes through the restarted queue and the worker: once it is stored,
      // anything still missing was not merely late.
      await createNotes(api, 1_000, 1, { flush: true });
      await eventually(async () => expect((await stored()).total).toBeGreaterThan(0), 20_000);
      expect(await stored()).toEqual({ total: 1, distinct: 1 });
    } finally {
      await api.close();
      await worker.close();
    }
  });
});
