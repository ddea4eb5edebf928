import { ContextService, ContextModule } from '@acme/nest-context';
import { createRedisNamespace } from '@acme/nest-testing';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { QueueEvents } from 'bullmq';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditModule, AuditService } from '@acme/nest-audit';
import { createAuditFixture, eventually, type AuditFixture } from './support/audit-fixture';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const workerScript = fileURLToPath(new URL('./fixtures/audit-worker.ts', import.meta.url));
const ENTRIES = 300;

describe('a worker killed mid-batch', () => {
  let fixture: AuditFixture;
  beforeAll(async () => {
    fixture = await createAuditFixture();
  });
  afterAll(() => fixture.close());
  beforeEach(() => fixture.clear());

  /**
   * One batch of 300 entries; a worker process takes it and is SIGKILLed while its write (the
   * batch's COPY) waits on a table lock. Its database session is terminated before the lock is released, so the
   * killed worker cannot finish the write; then a second worker (this process) starts, which
   * re-runs a stalled batch up to `maxStalledCount` times. Resolves with who completed the job.
   */
  async function crashMidBatch({ maxStalledCount, waitMs }: { maxStalledCount: number; waitMs: number }): Promise<{ writer: string; inserted: number }> {
    const { url: redisUrl, prefix } = await createRedisNamespace();
    // The producer's own re-sending is pushed beyond the test: only the consumers' recovery is tested.
    const queue = { connection: { url: redisUrl }, prefix, lockDurationMs: 1_000, redeliverAfterMs: 600_000 };
    const spoolDir = await mkdtemp(join(tmpdir(), 'audit-crash-'));

    @Module({
      imports: [
        ContextModule.forRoot(),
        AuditModule.forRoot({ database: { pool: fixture.pool }, spoolDir, queue: { ...queue, consumer: false }, batch: { maxWaitMs: 1 } }),
      ],
    })
    class ApiModule {}
    const api = await NestFactory.createApplicationContext(ApiModule, { logger: false, abortOnError: false });
    const events = new QueueEvents('audit-write', { connection: { url: redisUrl }, prefix });
    await events.waitUntilReady();
    const completed = new Promise<{ writer: string; inserted: number }>((resolve) =>
      events.on('completed', ({ returnvalue }) => resolve((typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as never)),
    );
    await new ContextService().run({ workspaceId: null, actor: { kind: 'System', id: null } }, async () => {
      for (let i = 0; i < ENTRIES; i++) api.get(AuditService).recordNow({ action: 'Import', subject: 'Contact', subjectId: i });
      await api.get(AuditService).flush();
    });

    // Hold the table so the worker's write blocks mid-batch, then kill the worker there.
    const blocker = new pg.Client({ connectionString: fixture.database.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE audit_log IN ACCESS EXCLUSIVE MODE');
    // `node --import tsx`, not the tsx CLI: the CLI runs the script in a child process that a
    // SIGKILL of the CLI would leave running.
    const worker = spawn(process.execPath, ['--import', 'tsx', workerScript, fixture.database.url, redisUrl, prefix], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let next: Awaited<ReturnType<typeof NestFactory.createApplicationContext>> | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        worker.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
        worker.once('exit', (code) => reject(new Error(`the worker exited with ${code} before it was ready`)));
      });
      const backend = await eventually(async () => {
        const { rows } = await fixture.pool.query(
          `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND (query LIKE 'COPY "audit_log"%' OR query LIKE 'INSERT INTO "audit_log"%')`,
        );
        expect(rows).toHaveLength(1); // the batch's write is waiting on the lock
        return rows[0].pid as number;
      });
      worker.kill('SIGKILL');
      await new Promise((resolve) => worker.once('exit', resolve));
      // A dead client's session lives on until the server notices; end it, so its write never runs.
      await fixture.pool.query('SELECT pg_terminate_backend($1)', [backend]);
      await eventually(async () => {
        const { rows } = await fixture.pool.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [backend]);
        expect(rows).toEqual([]);
      });
      await blocker.query('ROLLBACK');
      expect((await fixture.rows()).length).toBe(0); // the killed worker wrote nothing

      @Module({ imports: [ContextModule.forRoot(), AuditModule.forRoot({ database: { pool: fixture.pool }, spoolDir, queue: { ...queue, maxStalledCount } })] })
      class WorkerModule {}
      next = await NestFactory.createApplicationContext(WorkerModule, { logger: false, abortOnError: false });
      return await Promise.race([
        completed,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the batch was not completed within ${waitMs} ms`)), waitMs)),
      ]);
    } finally {
      worker.kill('SIGKILL');
      await blocker.end().catch(() => undefined);
      await next?.close();
      await events.close();
      await api.close();
    }
  }

  it('the next worker re-runs the stalled batch: every entry stored once, by that worker', async () => {
    const result = await crashMidBatch({ maxStalledCount: 1, waitMs: 20_000 });
    expect(result).toEqual({ writer: `${hostname()}:${process.pid}`, inserted: ENTRIES });
    const { rows } = await fixture.pool.query('SELECT count(*)::int AS total, count(DISTINCT subject_id)::int AS distinct FROM audit_log');
    expect(rows[0]).toEqual({ total: ENTRIES, distinct: ENTRIES });
  });

  it('fails when stalled batches are not re-run (maxStalledCount 0, producer re-sending beyond the test)', async () => {
    await expect(crashMidBatch({ maxStalledCount: 0, waitMs: 8_000 })).rejects.toThrow('not completed');
    expect((await fixture.rows()).length).toBe(0);
  });
});
