import { ContextModule, ContextService } from '@acme/nest-context';
import { createRedisNamespace, createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import { createHmac } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditModule,
  AuditOptionsError,
  AuditService,
  AuditStreamService,
  FileAuditSink,
  directoryObjectStore,
  signAuditWebhook,
  verifyAuditWebhookSignature,
  WebhookAuditSink,
  AUDIT_SIGNATURE_HEADER,
  type AuditModuleOptions,
} from '@acme/nest-audit';
import { resolveAuditOptions } from '../src/resolve-audit-options';
import { migrateAudit } from '../src/storage/audit-migration';
import { eventually } from './support/audit-fixture';
import { receiver } from './support/webhook-receiver';

const WS = '0190a0b2-0000-7000-8000-0000000000a1';
const SECRET = 'module-secret-0123456789abcdef';

describe('sink options', () => {
  const database = { connectionString: 'postgres://localhost/none' };
  const sink = { name: 'siem', send: async () => undefined };
  const failure = (options: Partial<AuditModuleOptions>) => {
    try {
      resolveAuditOptions({ database, ...options } as AuditModuleOptions);
      return 'accepted';
    } catch (error) {
      return error instanceof AuditOptionsError ? `${error.code}: ${error.message}` : `not an AuditOptionsError: ${String(error)}`;
    }
  };

  it('refuses sinks without the chain (AUDIT_SINKS_NEED_CHAIN): they follow chain positions', () => {
    expect(failure({ integrity: { chain: false, sinks: [sink] } })).toMatch(/^AUDIT_SINKS_NEED_CHAIN: .*"integrity\.chain: true"/);
    expect(failure({ integrity: { sinks: [sink] } as never })).toMatch(/^AUDIT_SINKS_NEED_CHAIN/);
    expect(failure({ integrity: { chain: true, sinks: [sink] } })).toBe('accepted');
    expect(resolveAuditOptions({ database, integrity: { chain: true, sinks: [sink] } }).integrity.sinks).toMatchObject({
      everyMs: 5_000,
      batchSize: 500,
      maxAttempts: 8,
      retryAfterMs: 1_000,
      maxRetryAfterMs: 300_000,
    });
  });

  it('refuses what is not a sink, two sinks of one name, and delivery settings out of range, naming the option', () => {
    expect(failure({ integrity: { chain: true, sinks: [{ name: 'x' }] as never } })).toMatch(/^AUDIT_INVALID_OPTIONS: .*"integrity\.sinks"/);
    expect(failure({ integrity: { chain: true, sinks: 'webhook' as never } })).toMatch(/^AUDIT_INVALID_OPTIONS/);
    expect(failure({ integrity: { chain: true, sinks: [sink, { ...sink }] } })).toMatch(/two sinks are named "siem"/);
    expect(failure({ integrity: { chain: true, sinks: [{ ...sink, name: '' }] } })).toMatch(/sink name/);
    for (const [key, value] of [
      ['maxAttempts', 0],
      ['batchSize', 20_000],
      ['everyMs', 1.5],
      ['retryAfterMs', -1],
    ] as const) {
      expect(failure({ integrity: { chain: true, sinks: [sink], sinkDelivery: { [key]: value } } })).toMatch(
        new RegExp(`^AUDIT_INVALID_OPTIONS: .*"integrity\\.sinkDelivery\\.${key}"`),
      );
    }
  });

  it('sinks check their own settings when constructed (AUDIT_SINK_FAILED, saying what to pass)', () => {
    const code = (make: () => unknown) => {
      try {
        make();
        return 'accepted';
      } catch (error) {
        return (error as { code?: string }).code;
      }
    };
    expect(code(() => new WebhookAuditSink({ url: 'not a url', secret: SECRET }))).toBe('AUDIT_SINK_FAILED');
    expect(code(() => new WebhookAuditSink({ url: 'ftp://example.com/x', secret: SECRET }))).toBe('AUDIT_SINK_FAILED');
    expect(code(() => new WebhookAuditSink({ url: 'https://example.com/x', secret: 'short' }))).toBe('AUDIT_SINK_FAILED');
    expect(code(() => new WebhookAuditSink({ url: 'https://example.com/x', secret: SECRET, timeoutMs: 0 }))).toBe('AUDIT_SINK_FAILED');
    expect(code(() => new FileAuditSink({ store: {} as never }))).toBe('AUDIT_SINK_FAILED');
    expect(new WebhookAuditSink({ url: 'https://siem.example.com/in?token=x', secret: SECRET }).name).toBe('webhook:siem.example.com/in');
  });
});

describe('webhook signatures', () => {
  const body = JSON.stringify({ workspaceId: WS, firstSeq: 1, lastSeq: 1, entries: [] });
  const now = () => Math.floor(Date.now() / 1000);

  it('verify with the secret on the raw body, within the tolerance only; anything else is false, never a throw', () => {
    expect(verifyAuditWebhookSignature(SECRET, signAuditWebhook(SECRET, now(), body), body)).toBe(true);
    expect(signAuditWebhook(SECRET, 1_700_000_000, body)).toBe(`t=1700000000,v1=${createHmac('sha256', SECRET).update(`1700000000.${body}`).digest('hex')}`);
    expect(verifyAuditWebhookSignature(SECRET, signAuditWebhook(SECRET, now() - 301, body), body)).toBe(false); // a replay
    expect(verifyAuditWebhookSignature(SECRET, signAuditWebhook(SECRET, now() - 301, body), body, 600)).toBe(true);
    expect(verifyAuditWebhookSignature(SECRET, signAuditWebhook(SECRET, now(), body), `${body} `)).toBe(false);
    expect(verifyAuditWebhookSignature(`${SECRET}x`, signAuditWebhook(SECRET, now(), body), body)).toBe(false);
    for (const header of [
      undefined,
      null,
      '',
      'v1=abc',
      `t=${now()},v1=${'g'.repeat(64)}`,
      `t=${now()},v1=${'a'.repeat(63)}`,
      'x'.repeat(100_000),
      't=1\u0000',
    ]) {
      expect(verifyAuditWebhookSignature(SECRET, header as string, body)).toBe(false);
    }
  });
});

describe('AuditStreamService in the module (PostgreSQL)', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  const apps: INestApplicationContext[] = [];
  const closers: (() => Promise<void>)[] = [];

  async function boot(options: Partial<AuditModuleOptions>) {
    const spoolDir = await mkdtemp(join(tmpdir(), 'audit-sinks-spool-'));
    @Module({ imports: [ContextModule.forRoot(), AuditModule.forRoot({ database: { pool }, spoolDir, batch: { maxWaitMs: 1 }, ...options })] })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
    apps.push(app);
    return app;
  }
  async function record(app: INestApplicationContext, count: number) {
    const audit = app.get(AuditService);
    await new ContextService().run({ workspaceId: WS, actor: { kind: 'User', id: 'u1' } }, async () => {
      for (let n = 0; n < count; n++) audit.recordNow({ action: 'Update', subject: 'Deal', subjectId: `deal-${n}` });
    });
    await audit.flush();
  }

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'audit_sinks' });
    pool = new pg.Pool({ connectionString: database.url, max: 6 });
    await migrateAudit(pool, { timescale: false });
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    for (const close of closers.splice(0)) await close();
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('pump() by hand sends what the module wrote, signed, in chain order; a sink added later starts from the oldest entry', async () => {
    const hook = await receiver(() => 204);
    closers.push(hook.close);
    const dir = await mkdtemp(join(tmpdir(), 'audit-sinks-files-'));
    const app = await boot({
      integrity: {
        chain: true,
        sinks: [new WebhookAuditSink({ name: 'siem', url: hook.url, secret: SECRET }), new FileAuditSink({ store: directoryObjectStore(dir) })],
        sinkDelivery: { everyMs: 3_600_000 },
      },
    });
    await record(app, 30);
    await app.get(AuditStreamService).pump();
    const { rows } = await pool.query(`SELECT id::text AS id FROM audit_log WHERE workspace_id = $1 ORDER BY chain_seq`, [WS]);
    expect(hook.received.flatMap((r) => r.batch.entries.map((e) => e.id))).toEqual(rows.map((r) => r.id));
    for (const { headers, body } of hook.received) expect(verifyAuditWebhookSignature(SECRET, headers[AUDIT_SIGNATURE_HEADER] as string, body)).toBe(true);
    const { rows: positions } = await pool.query(`SELECT sink, seq::int AS seq FROM audit_log_sink_positions WHERE workspace_id = $1 ORDER BY sink`, [WS]);
    expect(positions).toEqual([
      { sink: 'file', seq: rows.length },
      { sink: 'siem', seq: rows.length },
    ]);
    await app.get(AuditStreamService).pump(); // nothing new: nothing sent
    expect(hook.attempts).toHaveLength(1);
  });

  it('without a queue, the pump runs on a timer every everyMs', async () => {
    const hook = await receiver(() => 200);
    closers.push(hook.close);
    const app = await boot({
      integrity: { chain: true, sinks: [new WebhookAuditSink({ name: 'timer', url: hook.url, secret: SECRET })], sinkDelivery: { everyMs: 200 } },
    });
    await record(app, 5);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM audit_log WHERE workspace_id = $1`, [WS]);
    await eventually(async () => expect(hook.received.flatMap((r) => r.batch.entries)).toHaveLength(rows[0].n));
  });

  it('with a queue, the pump runs as a job scheduler on the audit queue, in the consumer', async () => {
    const { url, prefix } = await createRedisNamespace();
    const hook = await receiver(() => 200);
    closers.push(hook.close);
    const app = await boot({
      queue: { connection: { url }, prefix, allowVolatileRedis: true },
      integrity: { chain: true, sinks: [new WebhookAuditSink({ name: 'queued', url: hook.url, secret: SECRET })], sinkDelivery: { everyMs: 300 } },
    });
    const queue = new Queue('audit-write', { connection: { url }, prefix });
    closers.push(() => queue.close());
    const schedulers = await queue.getJobSchedulers();
    expect(schedulers.map((s) => [s.key, s.name, s.every])).toEqual([['acme-audit:sinks', 'task:sinks', 300]]);
    await record(app, 5);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM audit_log WHERE workspace_id = $1`, [WS]);
    await eventually(async () => expect(hook.received.flatMap((r) => r.batch.entries)).toHaveLength(rows[0].n));
  });

  it('a process with queue.consumer: false (an API process) leaves the pump to the worker, unless called', async () => {
    const { url, prefix } = await createRedisNamespace();
    const hook = await receiver(() => 200);
    closers.push(hook.close);
    const app = await boot({
      queue: { connection: { url }, prefix, allowVolatileRedis: true, consumer: false },
      integrity: { chain: true, sinks: [new WebhookAuditSink({ name: 'api-only', url: hook.url, secret: SECRET })], sinkDelivery: { everyMs: 100 } },
    });
    const queue = new Queue('audit-write', { connection: { url }, prefix });
    closers.push(() => queue.close());
    expect(await queue.getJobSchedulers()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(hook.attempts).toEqual([]);
    await app.get(AuditStreamService).pump();
    expect(hook.received.length).toBeGreaterThan(0);
  });
});
