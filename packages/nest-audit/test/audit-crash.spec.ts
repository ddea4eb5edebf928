import { ContextService } from '@acme/nest-context';
import { createRedisNamespace } from '@acme/nest-testing';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditModule, AuditService } from '@acme/nest-audit';
import { createAuditFixture, eventually, type AuditFixture } from './support/audit-fixture';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const workerScript = fileURLToPath(new URL('./fixtures/audit-worker.ts', import.meta.url));

describe('a worker killed mid-batch', () => {
  let fixture: AuditFixture;
  beforeAll(async () => {
    fixture = await createAuditFixture();
  });
  afterAll(() => fixture.close());

  it('loses nothing and duplicates nothing: the batch is re-run by the next worker', async () => {
    const { url: redisUrl, prefix } = await createRedisNamespace();
    const queue = { connection: redisUrl, prefix, lockDurationMs: 1_000 };

    // The API side enqueues one batch of 300 entries.
    @Module({ imports: [AuditModule.forRoot({ database: { pool: fixture.pool }, queue: { ...queue, consumer: false }, batch: { maxWaitMs: 1 } })] })
    class ApiModule {}
    const api = await NestFactory.createApplicationContext(ApiModule, { logger: false, abortOnError: false });
    await new ContextService().run({ workspaceId: null, actor: { kind: 'System', id: null } }, async () => {
      for (let i = 0; i < 300; i++) api.get(AuditService).recordNow({ action: 'Import', subject: 'Contact', subjectId: i });
      await api.get(AuditService).flush();
    });

    // Hold the table so the worker's insert blocks mid-batch, then kill the worker there.
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
    await new Promise<void>((resolve) => worker.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve()));
    await eventually(async () => {
      const { rows } = await fixture.pool.query(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO \"audit_log\"%'",
      );
      expect(Number(rows[0].n)).toBeGreaterThan(0); // the batch insert is waiting on the lock
    });
    worker.kill('SIGKILL');
    await new Promise((resolve) => worker.once('exit', resolve));
    await blocker.query('ROLLBACK');
    await blocker.end();

    // Whatever the killed worker's connection did is gone; a new worker picks the stalled batch up.
    @Module({ imports: [AuditModule.forRoot({ database: { pool: fixture.pool }, queue })] })
    class WorkerModule {}
    const next = await NestFactory.createApplicationContext(WorkerModule, { logger: false, abortOnError: false });
    try {
      await eventually(async () => {
        const { rows } = await fixture.pool.query('SELECT count(*) AS total, count(DISTINCT subject_id) AS distinct_ids FROM audit_log');
        expect(rows[0]).toEqual({ total: '300', distinct_ids: '300' });
      }, 20_000);
    } finally {
      await next.close();
      await api.close();
    }
  });
});
