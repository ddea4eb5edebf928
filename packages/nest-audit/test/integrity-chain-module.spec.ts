import { ContextService, uuidv7 } from '@acme/nest-context';
import { createRedisNamespace, createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import type { INestApplicationContext } from '@nestjs/common';
import { mkdtemp, readdir, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditService, type AuditModuleOptions } from '@acme/nest-audit';
import { auditBatchJob } from '../src/audit-batch';
import type { AuditEntry } from '../src/audit-entry';
import { migrateAudit } from '../src/storage/audit-migration';
import { eventually } from './support/audit-fixture';
import { checkChain, positions } from './support/chain-rows';
import { bootAuditApp } from './support/notes-app';

const WS_A = '0190a0b2-0000-7000-8000-00000000d0a1';
const WS_B = '0190a0b2-0000-7000-8000-00000000d0b2';
const context = new ContextService();

describe('the module with integrity.chain (every write path chains)', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  const apps: INestApplicationContext[] = [];
  const boot = async (options: Omit<AuditModuleOptions, 'database' | 'integrity'>) => {
    const app = await bootAuditApp({ database: { pool }, integrity: { chain: true }, batch: { maxSize: 20, maxWaitMs: 1 }, ...options }, false);
    apps.push(app);
    return app;
  };
  const record = (app: INestApplicationContext, workspaceId: string, n: number, subject = 'Contact') =>
    context.run({ workspaceId, actor: { kind: 'User', id: `u-${n}` } }, () =>
      app.get(AuditService).recordNow({ action: 'Update', subject, subjectId: String(n), metadata: { email: `p${n}@x.io`, n } }),
    );

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'audit_chain_mod' });
    pool = new pg.Pool({ connectionString: database.url, max: 6 });
    await migrateAudit(pool, { timescale: false });
  });
  afterAll(async () => {
    for (const app of apps) await app.close().catch(() => undefined);
    await pool?.end();
    await database?.drop();
  });
  beforeEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("SELECT set_config('acme_audit.maintenance', 'on', true)");
      await client.query('DELETE FROM audit_log');
      await client.query('DELETE FROM audit_log_chain_heads');
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  });

  it('direct path (no queue): entries of two workspaces land in two unbroken chains, personal data committed to', async () => {
    const app = await boot({});
    for (let n = 0; n < 150; n++) record(app, n % 3 === 0 ? WS_B : WS_A, n);
    await app.get(AuditService).flush();
    await eventually(async () => expect((await checkChain(pool, WS_A)).seqs).toEqual(positions(100)));
    expect(await checkChain(pool, WS_A)).toMatchObject({ broken: [], digestMismatch: [], head: { seq: 100 } });
    expect(await checkChain(pool, WS_B)).toMatchObject({ seqs: positions(50), broken: [], digestMismatch: [] });
    const { rows } = await pool.query('SELECT DISTINCT personal_paths FROM audit_log');
    expect(rows).toEqual([{ personal_paths: [['metadata', 'email']] }]);
  });

  it('queue path: two consumers (two apps) writing batches of one workspace keep one chain', async () => {
    const { url, prefix } = await createRedisNamespace();
    const queue = { connection: { url }, prefix, concurrency: 2 };
    const producer = await boot({ queue: { ...queue, consumer: false } });
    await boot({ queue });
    await boot({ queue });
    for (let n = 0; n < 300; n++) record(producer, WS_A, n);
    await producer.get(AuditService).flush();
    await eventually(async () => expect((await checkChain(pool, WS_A)).seqs).toEqual(positions(300)), 20_000);
    expect(await checkChain(pool, WS_A)).toMatchObject({ broken: [], digestMismatch: [], head: { seq: 300 } });
  });

  it('spool recovery: batches left by a dead process are chained when recovered, once', async () => {
    const spoolDir = await mkdtemp(join(tmpdir(), 'audit-chain-spool-'));
    const entry = (n: number): AuditEntry => ({
      id: uuidv7(),
      occurredAt: new Date(),
      workspaceId: WS_B,
      actorKind: 'System',
      actorId: null,
      action: 'Import',
      subject: 'Contact',
      subjectId: String(n),
      status: 'Success',
      errorCode: null,
      errorMessage: null,
      requestId: null,
      ip: null,
      userAgent: null,
      durationMs: 0,
      metadata: { name: `n${n}` },
      changes: {},
    });
    const batches = [[entry(1), entry(2)], [entry(3)]];
    // The second batch twice: written by the dead process's queue and spooled again.
    const lines = [...batches, batches[1]!].map((batch) => `${JSON.stringify(auditBatchJob(batch))}\n`).join('');
    await writeFile(join(spoolDir, 'audit-0dead000-1.jsonl'), lines);
    const old = new Date(Date.now() - 60_000);
    await utimes(join(spoolDir, 'audit-0dead000-1.jsonl'), old, old);

    await boot({ spoolDir, spoolOrphanAfterMs: 1_000 });
    await eventually(async () => expect(await readdir(spoolDir)).toEqual([]), 15_000);
    expect(await checkChain(pool, WS_B)).toMatchObject({ seqs: [1, 2, 3], broken: [], digestMismatch: [], head: { seq: 3 } });
  });

  it('outbox: record(..., { transaction }) chains in the caller transaction, between batched entries of the same workspace', async () => {
    const app = await boot({});
    const audit = app.get(AuditService);
    for (let n = 0; n < 10; n++) record(app, WS_A, n);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await context.run({ workspaceId: WS_A, actor: { kind: 'User', id: 'tx' } }, () =>
        audit.record({ action: 'Create', subject: 'Deal', subjectId: 'in-tx', metadata: { phone: '+1 555' } }, { transaction: client }),
      );
      await client.query('COMMIT');
      await client.query('BEGIN');
      await context.run({ workspaceId: WS_A, actor: { kind: 'User', id: 'tx' } }, () =>
        audit.record({ action: 'Create', subject: 'Deal', subjectId: 'rolled-back' }, { transaction: client }),
      );
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    for (let n = 10; n < 20; n++) record(app, WS_A, n);
    await audit.flush();
    await eventually(async () => expect((await checkChain(pool, WS_A)).seqs).toEqual(positions(21)));
    expect(await checkChain(pool, WS_A)).toMatchObject({ broken: [], digestMismatch: [], head: { seq: 21 } });
    const { rows } = await pool.query(`SELECT subject_id, personal_paths FROM audit_log WHERE subject = 'Deal'`);
    expect(rows).toEqual([{ subject_id: 'in-tx', personal_paths: [['metadata', 'phone']] }]);
  });

  it('outbox through a Drizzle transaction: chained on commit, no trace on rollback', async () => {
    const app = await boot({});
    const audit = app.get(AuditService);
    const db = drizzle(pool);
    await context.run({ workspaceId: WS_B, actor: { kind: 'User', id: 'tx' } }, async () => {
      await db
        .transaction(async (tx) => {
          await audit.record({ action: 'Close', subject: 'Deal', subjectId: 'rolled-back' }, { transaction: tx });
          tx.rollback();
        })
        .catch(() => undefined);
      for (const subjectId of ['first', 'second']) {
        await db.transaction(async (tx) => {
          await audit.record({ action: 'Close', subject: 'Deal', subjectId, metadata: { email: 'x@y.io' } }, { transaction: tx });
        });
      }
    });
    expect(await checkChain(pool, WS_B)).toMatchObject({ seqs: [1, 2], broken: [], digestMismatch: [], head: { seq: 2 } });
    const { rows } = await pool.query('SELECT subject_id FROM audit_log WHERE workspace_id = $1 ORDER BY chain_seq', [WS_B]);
    expect(rows.map((r) => r.subject_id)).toEqual(['first', 'second']);
  });
});
