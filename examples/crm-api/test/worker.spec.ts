import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedisNamespace, createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import { bootstrapWorker, getProducerToken, type Producer, type WorkerProcess } from '@acme/nest-queues';
import { Queue } from 'bullmq';
import { Logger } from 'nestjs-pino';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_STORAGE } from '../src/audit/audit-storage';
import { APP_ROLE, AUDIT_OWNER_ROLE, SYSTEM_ROLE, urlForRole } from '../src/database/database-roles';
import { migrateDatabase } from '../src/database/migrate-database';
import { seedDemo } from '../src/database/seed';
import { maintenance } from '../src/jobs/queues';
import { auditPartitions } from '../src/worker/audit-partitions.queue';
import type { AuditPartitionsRun } from '../src/worker/audit-partitions.processor';
import { WorkerModule } from '../src/worker/worker.module';
import { TEST_PASSWORDS } from './support/test-app';

// The worker process's module, booted with bootstrapWorker as src/worker.ts does, against real
// PostgreSQL and Redis: the nightly cron fans out per workspace, each check runs in its workspace,
// leaves audit entries, and digest emails are rendered.
describe('worker', () => {
  let database: TestDatabase;
  let owner: pg.Client;
  let worker: WorkerProcess;
  let redis: { url: string; prefix: string };
  const logFile = join(mkdtempSync(join(tmpdir(), 'crm-worker-logs-')), 'worker.log');
  const logLines = () => {
    try {
      return readFileSync(logFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  };

  const waitFor = async <T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'crmworker' });
    await migrateDatabase({ ownerUrl: database.url, passwords: TEST_PASSWORDS });
    await seedDemo(database.url, { argon2MemoryKib: 1024 });
    owner = new pg.Client({ connectionString: database.url });
    await owner.connect();
    // Every open deal of Northwind has not moved for 30 days; Globex's deals are fresh.
    await owner.query(
      `UPDATE deals SET stage_changed_at = now() - interval '30 days' WHERE workspace_id = (SELECT id FROM workspaces WHERE slug = 'northwind')`,
    );
    redis = await createRedisNamespace({ prefix: 'crmworker' });
    worker = await bootstrapWorker(
      WorkerModule.forRoot({
        env: {
          DATABASE_URL: urlForRole(database.url, APP_ROLE, TEST_PASSWORDS.app),
          SYSTEM_DATABASE_URL: urlForRole(database.url, SYSTEM_ROLE, TEST_PASSWORDS.system),
          REDIS_URL: redis.url,
          QUEUE_PREFIX: redis.prefix,
          LOG_LEVEL: 'info',
          LOG_FILE: logFile,
        },
      }),
      // As src/worker.ts does: every line through nestjs-pino (to LOG_FILE), startup included.
      { exitProcess: false, signals: [], loggerFrom: (app) => app.get(Logger) },
    );
  });
  afterAll(async () => {
    await worker?.shutdown();
    await owner?.end();
    await database?.drop();
  });

  it('every line the worker logs is JSON through nestjs-pino, its startup lines included', () => {
    const contexts = logLines().map((line) => line.context);
    expect(contexts).toContain('InstanceLoader'); // logged while Nest built the app, before the logger existed
    expect(logLines().find((line) => line.context === 'QueueWorkers')?.msg).toMatch(/^Processing /);
  });

  it('starting the worker registers the nightly stale-deal check as a BullMQ job scheduler of the maintenance queue', async () => {
    const queue = new Queue(maintenance.name, { connection: { url: redis.url }, prefix: redis.prefix });
    try {
      const schedulers = await queue.getJobSchedulers(0, -1);
      expect(schedulers.map(({ key, name, pattern, tz, every }) => ({ key, name, pattern, tz, every }))).toEqual([
        { key: 'nightly-stale-deal-check', name: 'nightly-stale-deal-check', pattern: '0 2 * * *', tz: 'UTC', every: undefined },
      ]);
      // Its runs enqueue the queue's payload (validated) and are marked as this cron's.
      expect(schedulers[0]!.template?.data).toEqual({ payload: {}, context: null, cron: 'nightly-stale-deal-check' });
      // The next run is the coming 02:00 UTC.
      const next = new Date(schedulers[0]!.next!);
      expect([next.getUTCHours(), next.getUTCMinutes(), next.getUTCSeconds()]).toEqual([2, 0, 0]);
      expect(next.getTime() - Date.now()).toBeGreaterThan(0);
      expect(next.getTime() - Date.now()).toBeLessThanOrEqual(86_400_000);
    } finally {
      await queue.close();
    }
  });

  it('the maintenance run flags stale deals per workspace, audits it and emails the Admins a digest', async () => {
    const producer = worker.app.get<Producer<typeof maintenance>>(getProducerToken(maintenance), { strict: false });
    await producer.add({}, { jobId: 'test-run' });

    const notes = await waitFor(
      async () =>
        (
          await owner.query<{ slug: string; n: number }>(
            `SELECT w.slug, count(*)::int AS n FROM activities a JOIN workspaces w ON w.id = a.workspace_id WHERE a.kind = 'Note Added' AND a.label LIKE '%no stage change%' GROUP BY w.slug`,
          )
        ).rows,
      (rows) => rows.length > 0,
      'stale-deal notes',
    );
    expect(notes).toEqual([{ slug: 'northwind', n: 5 }]);

    const audit = await waitFor(
      async () =>
        (
          await owner.query<{ slug: string; status: string; actor_kind: string; metadata: { flagged: number } }>(
            `SELECT w.slug, a.status, a.actor_kind, a.metadata FROM audit_log a JOIN workspaces w ON w.id = a.workspace_id WHERE a.action = 'Flag Stale' ORDER BY w.slug`,
          )
        ).rows,
      (rows) => rows.length === 2,
      'Flag Stale audit entries',
    );
    expect(audit.map((a) => [a.slug, a.status, a.actor_kind, a.metadata.flagged])).toEqual([
      ['globex', 'Success', 'Job', 0],
      ['northwind', 'Success', 'Job', 5],
    ]);

    const queue = new Queue('emails', { connection: { url: redis.url }, prefix: redis.prefix });
    try {
      const completed = await waitFor(
        () => queue.getCompleted(),
        (jobs) => jobs.length > 0,
        'digest email',
      );
      const rendered = (completed[0]!.returnvalue as { rendered: string }).rendered;
      expect(rendered).toContain('To: ada@northwind.test');
      expect(rendered).toContain('Northwind Traders: 5 stale deal(s)');
      expect(rendered).toContain('Line 4 automation retrofit (Negotiation, €185,000)');
    } finally {
      await queue.close();
    }
  });

  // Reads the run of the test above: the emails processor "sends" by logging, so the log is the outbox.
  it("the digest email is written to the worker's JSON log, in the workspace it was sent for", async () => {
    const northwindId = (await owner.query<{ id: string }>(`SELECT id FROM workspaces WHERE slug = 'northwind'`)).rows[0]!.id;
    const emails = await waitFor(
      async () => logLines().filter((line) => line.msg === 'email rendered'),
      (lines) => lines.length > 0,
      'an "email rendered" log line',
    );
    expect(emails.map((line) => [line.context, line.template, line.to])).toEqual([['Emails', 'Stale Deals Digest', 'ada@northwind.test']]);
    expect(emails[0]).toMatchObject({ level: 30, workspaceId: northwindId });
    const email = emails[0]!.email as string;
    expect(email).toContain('To: ada@northwind.test');
    expect(email).toContain('Subject: Northwind Traders: 5 stale deal(s)');
    expect(email).toContain('  - Line 4 automation retrofit (Negotiation, €185,000)');
  });

  describe('audit partition upkeep (native partitions: the test PostgreSQL has no TimescaleDB)', () => {
    /** `audit_log_p202612` for the month `offset` months from now (UTC). */
    const partitionIn = (offset: number) => {
      const now = new Date();
      const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1)).toISOString();
      return `audit_log_p${month.slice(0, 4)}${month.slice(5, 7)}`;
    };
    const partitions = async () =>
      (
        await owner.query<{ name: string; owner: string }>(
          `SELECT c.relname AS name, pg_get_userbyid(c.relowner) AS owner FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_log'::regclass ORDER BY 1`,
        )
      ).rows;

    it('the migration created the partitions ahead that AUDIT_STORAGE asks for, owned by the audit owner role', async () => {
      expect(AUDIT_STORAGE.partitionsAhead).toBe(3);
      const names = (await partitions()).map((p) => p.name);
      expect(names).toEqual(expect.arrayContaining([partitionIn(-1), partitionIn(0), partitionIn(3), 'audit_log_default']));
      expect(names).not.toContain(partitionIn(4));
      expect(new Set((await partitions()).map((p) => p.owner))).toEqual(new Set([AUDIT_OWNER_ROLE]));
    });

    it('starting the worker registers the daily upkeep as a BullMQ job scheduler of its queue', async () => {
      const queue = new Queue(auditPartitions.name, { connection: { url: redis.url }, prefix: redis.prefix });
      try {
        const schedulers = await queue.getJobSchedulers(0, -1);
        expect(schedulers.map(({ key, pattern, tz }) => ({ key, pattern, tz }))).toEqual([
          { key: 'daily-audit-partition-upkeep', pattern: '30 1 * * *', tz: 'UTC' },
        ]);
        const next = new Date(schedulers[0]!.next!);
        expect([next.getUTCHours(), next.getUTCMinutes()]).toEqual([1, 30]);
        expect(next.getTime() - Date.now()).toBeLessThanOrEqual(86_400_000);
      } finally {
        await queue.close();
      }
    });

    it('a run creates the missing partitions ahead and drops the expired ones, as the owner role, with the migration’s settings', async () => {
      // Two upkeep runs were missed: the last two months ahead are gone. An old partition (2019) is past retention.
      await owner.query(`DROP TABLE ${partitionIn(2)}, ${partitionIn(3)}`);
      await owner.query(`CREATE TABLE audit_log_p201901 PARTITION OF audit_log FOR VALUES FROM ('2019-01-01T00:00:00Z') TO ('2019-02-01T00:00:00Z')`);
      await owner.query(`ALTER TABLE audit_log_p201901 OWNER TO ${AUDIT_OWNER_ROLE}`);

      const producer = worker.app.get<Producer<typeof auditPartitions>>(getProducerToken(auditPartitions), { strict: false });
      await producer.add({}, { jobId: 'upkeep-test' });
      const queue = new Queue(auditPartitions.name, { connection: { url: redis.url }, prefix: redis.prefix });
      try {
        // A failed attempt ends the wait too (its retry is a minute away): the reason is then the failure.
        const job = await waitFor(
          () => queue.getJob('upkeep-test'),
          (found) => Boolean(found?.finishedOn || found?.failedReason),
          'the upkeep run',
        );
        expect(job!.failedReason, job!.failedReason).toBeUndefined();
        const run = job!.returnvalue as AuditPartitionsRun;
        expect(run).toMatchObject({ storage: 'Native Partitions', created: [partitionIn(2), partitionIn(3)], dropped: ['audit_log_p201901'] });
      } finally {
        await queue.close();
      }
      const after = await partitions();
      expect(after.map((p) => p.name)).toEqual(expect.arrayContaining([partitionIn(0), partitionIn(1), partitionIn(2), partitionIn(3)]));
      expect(after.map((p) => p.name)).not.toContain('audit_log_p201901');
      expect(after.map((p) => p.name)).not.toContain(partitionIn(4));
      expect(new Set(after.map((p) => p.owner))).toEqual(new Set([AUDIT_OWNER_ROLE]));
      // The run is in the worker's JSON log.
      expect(logLines().some((line) => line.context === 'AuditPartitions' && line.msg === 'audit partitions maintained')).toBe(true);
    });

    it('the system role alone cannot change the audit table; only SET ROLE (the upkeep) can', async () => {
      const system = new pg.Client({ connectionString: urlForRole(database.url, SYSTEM_ROLE, TEST_PASSWORDS.system) });
      await system.connect();
      try {
        await system.query('BEGIN');
        await expect(system.query(`COMMENT ON TABLE audit_log IS 'tampered'`)).rejects.toMatchObject({ code: '42501' });
        await system.query('ROLLBACK');
        await system.query('BEGIN');
        await system.query(`SET LOCAL ROLE ${AUDIT_OWNER_ROLE}`);
        await system.query(`COMMENT ON TABLE audit_log IS 'upkeep'`);
        await system.query('ROLLBACK');
      } finally {
        await system.end();
      }
    });
  });

  it('RLS holds in the worker: the Globex check could not touch Northwind rows', async () => {
    const foreign = await owner.query(`SELECT count(*)::int AS n FROM activities a JOIN deals d ON d.id = a.deal_id WHERE a.workspace_id <> d.workspace_id`);
    expect(foreign.rows[0].n).toBe(0);
  });
});
