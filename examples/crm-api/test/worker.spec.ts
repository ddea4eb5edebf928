import { createRedisNamespace, createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import { bootstrapWorker, getProducerToken, type Producer, type WorkerProcess } from '@acme/nest-queues';
import { Queue } from 'bullmq';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ROLE, SYSTEM_ROLE, urlForRole } from '../src/database/database-roles';
import { migrateDatabase } from '../src/database/migrate-database';
import { seedDemo } from '../src/database/seed';
import { maintenance } from '../src/jobs/queues';
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
    await owner.query(`UPDATE deals SET stage_changed_at = now() - interval '30 days' WHERE workspace_id = (SELECT id FROM workspaces WHERE slug = 'northwind')`);
    redis = await createRedisNamespace({ prefix: 'crmworker' });
    worker = await bootstrapWorker(
      WorkerModule.forRoot({
        env: {
          DATABASE_URL: urlForRole(database.url, APP_ROLE, TEST_PASSWORDS.app),
          SYSTEM_DATABASE_URL: urlForRole(database.url, SYSTEM_ROLE, TEST_PASSWORDS.system),
          REDIS_URL: redis.url,
          QUEUE_PREFIX: redis.prefix,
          LOG_LEVEL: 'silent',
        },
      }),
      { exitProcess: false, signals: [], logger: false },
    );
  });
  afterAll(async () => {
    await worker?.shutdown();
    await owner?.end();
    await database?.drop();
  });

  it('the maintenance run flags stale deals per workspace, audits it and emails the Admins a digest', async () => {
    const producer = worker.app.get<Producer<typeof maintenance>>(getProducerToken(maintenance), { strict: false });
    await producer.add({}, { jobId: 'test-run' });

    const notes = await waitFor(
      async () => (await owner.query<{ slug: string; n: number }>(`SELECT w.slug, count(*)::int AS n FROM activities a JOIN workspaces w ON w.id = a.workspace_id WHERE a.kind = 'Note Added' AND a.label LIKE '%no stage change%' GROUP BY w.slug`)).rows,
      (rows) => rows.length > 0,
      'stale-deal notes',
    );
    expect(notes).toEqual([{ slug: 'northwind', n: 5 }]);

    const audit = await waitFor(
      async () => (await owner.query<{ slug: string; status: string; actor_kind: string; metadata: { flagged: number } }>(`SELECT w.slug, a.status, a.actor_kind, a.metadata FROM audit_log a JOIN workspaces w ON w.id = a.workspace_id WHERE a.action = 'Flag Stale' ORDER BY w.slug`)).rows,
      (rows) => rows.length === 2,
      'Flag Stale audit entries',
    );
    expect(audit.map((a) => [a.slug, a.status, a.actor_kind, a.metadata.flagged])).toEqual([
      ['globex', 'Success', 'Job', 0],
      ['northwind', 'Success', 'Job', 5],
    ]);

    const queue = new Queue('emails', { connection: { url: redis.url }, prefix: redis.prefix });
    try {
      const completed = await waitFor(() => queue.getCompleted(), (jobs) => jobs.length > 0, 'digest email');
      const rendered = (completed[0]!.returnvalue as { rendered: string }).rendered;
      expect(rendered).toContain('To: ada@northwind.test');
      expect(rendered).toContain('Northwind Traders: 5 stale deal(s)');
      expect(rendered).toContain('Line 4 automation retrofit (Negotiation, €185,000)');
    } finally {
      await queue.close();
    }
  });

  it('RLS holds in the worker: the Globex check could not touch Northwind rows', async () => {
    const foreign = await owner.query(`SELECT count(*)::int AS n FROM activities a JOIN deals d ON d.id = a.deal_id WHERE a.workspace_id <> d.workspace_id`);
    expect(foreign.rows[0].n).toBe(0);
  });
});
