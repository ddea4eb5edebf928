import { ContextService, ContextModule } from '@acme/nest-context';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditModule, AuditQueryService, AuditService, maintainAuditPartitions } from '@acme/nest-audit';
import { createAuditFixture, type AuditFixture } from './support/audit-fixture';

const WS = '0190a0b2-0000-7000-8000-0000000000e5';
const monthOf = (at: Date) => `audit_log_p${at.toISOString().slice(0, 7).replace('-', '')}`;

describe('entries dated outside the created partitions, through the module (PostgreSQL without TimescaleDB)', () => {
  let fixture: AuditFixture;
  let app: INestApplicationContext;

  beforeAll(async () => {
    fixture = await createAuditFixture();
    @Module({ imports: [ContextModule.forRoot(), AuditModule.forRoot({ database: { pool: fixture.pool }, batch: { maxWaitMs: 1 } })] })
    class AppModule {}
    app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
  });
  afterAll(async () => {
    await app?.close();
    await fixture?.close();
  });

  it('are written with the rest of their batch, found by the query, and moved to their month by the upkeep', async () => {
    const now = new Date();
    const ahead = new Date(Date.UTC(now.getUTCFullYear() + 3, now.getUTCMonth(), 20));
    const back = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 10, 5));
    const audit = app.get(AuditService);
    await new ContextService().run({ workspaceId: WS, actor: { kind: 'User', id: 'u1' } }, async () => {
      audit.recordNow({ action: 'Update', subject: 'Deal', subjectId: 'ahead', occurredAt: ahead });
      audit.recordNow({ action: 'Update', subject: 'Deal', subjectId: 'now' });
      audit.recordNow({ action: 'Update', subject: 'Deal', subjectId: 'back', occurredAt: back });
    });
    await audit.flush();

    const placed = async () =>
      Object.fromEntries(
        (await fixture.pool.query('SELECT subject_id, tableoid::regclass::text AS part FROM audit_log')).rows.map((r) => [r.subject_id, r.part]),
      );
    expect(await placed()).toEqual({ ahead: 'audit_log_default', now: monthOf(now), back: 'audit_log_default' });
    const page = await app.get(AuditQueryService).find({ workspaceId: WS });
    expect(page.items.map((e) => e.subjectId)).toEqual(['ahead', 'now', 'back']);

    expect(await maintainAuditPartitions(fixture.pool)).toMatchObject({ created: [monthOf(back), monthOf(ahead)], movedFromDefault: 2, leftInDefault: 0 });
    expect(await placed()).toEqual({ ahead: monthOf(ahead), now: monthOf(now), back: monthOf(back) });
  });
});
