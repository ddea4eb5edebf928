import { startRedis, type StartedService } from '@acme/nest-testing';
import { Queue } from 'bullmq';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditService } from '@acme/nest-audit';
import { createAuditFixture, eventually, type AuditFixture } from './support/audit-fixture';
import { startDatabaseOutage } from './support/database-outage';
import { bootAuditApp as boot, createNotes } from './support/notes-app';
import { queueRedis, REDIS_TOPOLOGY } from './support/queue-redis';

describe('audit delivery', () => {
  let fixture: AuditFixture;
  beforeAll(async () => {
    fixture = await createAuditFixture();
    fixture.pool.on('error', () => undefined); // idle sessions ended by the outage test
  });
  afterAll(() => fixture.close());
  beforeEach(() => fixture.clear());

  const countRows = async () => Number((await fixture.pool.query('SELECT count(DISTINCT id) AS n, count(*) AS total FROM audit_log')).rows[0].total);

  it(`moves batches, not entries, through the queue to a worker in another app, each entry exactly once (${REDIS_TOPOLOGY} Redis)`, async () => {
    const redis = await queueRedis();
    const { prefix } = redis;
    const queue = { connection: redis.connection(), prefix };
    const api = await boot({ database: { pool: fixture.pool }, queue: { ...queue, consumer: false }, batch: { maxSize: 100, maxWaitMs: 5 } });
    await createNotes(api, 0, 1_000);
    await api.get(AuditService).flush();

    const inspector = new Queue('audit-write', { connection: redis.connection(), prefix });
    const jobs = await inspector.getJobCounts('waiting');
    expect(jobs.waiting).toBeGreaterThanOrEqual(10);
    expect(jobs.waiting).toBeLessThanOrEqual(20); // 1,000 entries in batches of at most 100
    expect(await countRows()).toBe(0); // nothing is written by the API process

    const worker = await boot({ database: { pool: fixture.pool }, queue }, false);
    await eventually(async () => expect(await countRows()).toBe(1_000));
    const { rows } = await fixture.pool.query('SELECT count(DISTINCT subject_id) AS n FROM audit_log');
    expect(Number(rows[0].n)).toBe(1_000);
    await inspector.close();
    await api.close();
    await worker.close();
    redis.close();
  });

  it('Redis stopping mid-run: batches in flight and later ones are written directly, every entry exactly once, counted as fallbacks', async () => {
    // A Redis of its own, to stop without disturbing other test files.
    const redis: StartedService = await startRedis({ strategies: ['embedded'] });
    const fallbacks = async () => {
      const metric = (await register.getSingleMetric('acme_audit_fallbacks_total')?.get())?.values ?? [];
      return metric.filter((value) => value.labels.to === 'direct').reduce((sum, value) => sum + value.value, 0);
    };
    const app = await boot({
      database: { pool: fixture.pool },
      // Batches Redis took before it stopped are written here once they are overdue.
      queue: { connection: { url: redis.url }, sendTimeoutMs: 500, redeliverAfterMs: 1_000 },
      batch: { maxSize: 50, maxWaitMs: 2 },
    });
    try {
      const before = await fallbacks();
      // A steady stream of audited calls; Redis goes away while entries are buffered and batches
      // are on their way to the queue.
      const stream = (async () => {
        for (let wave = 0; wave < 30; wave++) {
          await createNotes(app, wave * 20, 20);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      await eventually(async () => expect(await countRows()).toBeGreaterThan(0)); // the queue path works
      await redis.stop();
      await stream;
      await app.get(AuditService).flush();
      await eventually(async () => expect(await countRows()).toBe(600));
      const { rows } = await fixture.pool.query('SELECT count(DISTINCT subject_id) AS n FROM audit_log');
      expect(Number(rows[0].n)).toBe(600);
      expect(await fallbacks()).toBeGreaterThan(before);
    } finally {
      await app.close();
      await redis.stop();
    }
  });

  it('closing the app writes what is still buffered', async () => {
    const app = await boot({ database: { pool: fixture.pool }, batch: { maxSize: 10_000, maxWaitMs: 60_000 } });
    await createNotes(app, 0, 25);
    expect(await countRows()).toBe(0); // still in the buffer: neither size nor time has flushed it
    await app.close();
    expect(await countRows()).toBe(25);
  });

  it('no queue and the database down: batches wait in the spool and are written once it is back', async () => {
    const spoolDir = await mkdtemp(join(tmpdir(), 'audit-spool-test-'));
    const app = await boot({ database: { connectionString: fixture.database.url, max: 2 }, spoolDir, batch: { maxSize: 10, maxWaitMs: 1 } });
    try {
      const outage = await startDatabaseOutage(fixture.database.url);
      await createNotes(app, 0, 25);
      await app.get(AuditService).flush();
      const [file] = await readdir(spoolDir);
      expect((await readFile(join(spoolDir, file!), 'utf8')).trim().split('\n')).toHaveLength(3); // 3 batches
      await outage.end();
      await eventually(async () => expect(await countRows()).toBe(25), 15_000); // retried every second
      await eventually(async () => expect(await readdir(spoolDir)).toEqual([]), 15_000); // the file goes once all its batches are stored
    } finally {
      await app.close();
    }
  });

  it(`a batch delivered twice (a retried job) is written once (${REDIS_TOPOLOGY} Redis)`, async () => {
    const redis = await queueRedis();
    const { prefix } = redis;
    const app = await boot({ database: { pool: fixture.pool }, queue: { connection: redis.connection(), prefix, consumer: false }, batch: { maxWaitMs: 1 } });
    await createNotes(app, 0, 5);
    await app.get(AuditService).flush();
    const inspector = new Queue('audit-write', { connection: redis.connection(), prefix });
    const [job] = await inspector.getJobs(['waiting']);
    // The same batch again, as after a worker crash mid-write, under another job id.
    await inspector.add('batch', job!.data, { jobId: 'replayed' });
    const worker = await boot({ database: { pool: fixture.pool }, queue: { connection: redis.connection(), prefix } }, false);
    await eventually(async () => expect(await inspector.getJobCounts('completed', 'waiting', 'active')).toMatchObject({ waiting: 0, active: 0 }));
    expect(await countRows()).toBe(5);
    await Promise.all([inspector.close(), app.close(), worker.close()]);
    redis.close();
  });
});
