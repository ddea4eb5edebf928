import { ContextService, ContextModule } from '@acme/nest-context';
import { HTTP_ADAPTERS, startHttpApp, type HttpTestApp } from '@acme/nest-testing';
import {
  Body,
  Controller,
  Get,
  Injectable,
  Module,
  NotFoundException,
  Param,
  Post,
  SetMetadata,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Audit, AuditModule, AuditService } from '@acme/nest-audit';
import { createAuditFixture, type AuditFixture } from './support/audit-fixture';

const WS = '0190a0b2-0000-7000-8000-0000000000aa';

@Injectable()
class DealsService {
  constructor(private readonly audit: AuditService) {}

  @Audit({ action: 'Create', subject: 'Deal' })
  async create(input: { title: string; password?: string }) {
    return { id: 'deal-1', ...input };
  }

  @Audit({ action: 'Stage Change', subject: 'Deal', metadata: ({ args }) => ({ reason: args[1] }) })
  async moveToWon(id: string, _reason: string) {
    const before = { stage: 'Proposal Sent', password: 'old-secret', title: 'Big' };
    const after = { ...before, stage: 'Won', password: 'new-secret' };
    this.audit.describe({ before, after, metadata: { source: 'board' } });
    return { id, stage: 'Won' };
  }

  @Audit({ action: 'Delete', subject: 'Deal' })
  async remove(id: string) {
    throw new NotFoundException({ statusCode: 404, code: 'DEAL_NOT_FOUND', message: `Deal ${id} not found.` });
  }

  @Audit({ action: 'Archive', subject: 'Deal' })
  archiveNow(id: string): string {
    if (id === '0190a0b2-0000-7000-8000-00000000bad0') throw new Error('cannot archive');
    return id;
  }

  @SetMetadata('custom:key', 'kept')
  @Audit({ action: 'Touch', subject: 'Deal' })
  tagged() {
    return 'ok';
  }
}

/** A job handler: not a controller, not called over HTTP. */
@Injectable()
class ReminderProcessor {
  @Audit({ action: 'Send', subject: 'Reminder', subjectId: ({ args }) => (args[0] as { dealId: string }).dealId })
  async process(job: { dealId: string }) {
    return { sent: job.dealId };
  }
}

@Injectable()
class WorkspaceGuard implements CanActivate {
  constructor(private readonly context: ContextService) {}
  canActivate(execution: ExecutionContext) {
    const user = execution.switchToHttp().getRequest().headers['x-user'];
    this.context.update({ workspaceId: WS, actor: { kind: 'User', id: user ?? null } });
    return true;
  }
}

@Controller('deals')
class DealsController {
  constructor(private readonly deals: DealsService) {}
  @Post() create(@Body() body: { title: string; password?: string }) {
    return this.deals.create(body);
  }
  @Post(':id/won') won(@Param('id') id: string) {
    return this.deals.moveToWon(id, 'customer signed');
  }
  @Post(':id/delete') remove(@Param('id') id: string) {
    return this.deals.remove(id);
  }
  @Get('tagged') tagged() {
    return this.deals.tagged();
  }
}

describe.each(HTTP_ADAPTERS)('@Audit on provider methods (%s)', (adapter) => {
  let fixture: AuditFixture;
  let http: HttpTestApp;

  const post = (path: string, body: unknown = {}) =>
    fetch(`${http.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': `req-${path.replace(/\W/g, '')}`, 'x-user': 'user-7', 'user-agent': 'audit-test/1.0' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    fixture = await createAuditFixture();
    @Module({
      imports: [ContextModule.forRoot(), AuditModule.forRoot({ database: { pool: fixture.pool }, batch: { maxWaitMs: 1 } })],
      controllers: [DealsController],
      providers: [DealsService, ReminderProcessor, { provide: APP_GUARD, useClass: WorkspaceGuard }],
    })
    class AppModule {}
    http = await startHttpApp(AppModule, adapter);
  });
  afterAll(async () => {
    await http?.close();
    await fixture?.close();
  });
  beforeEach(() => fixture.clear());

  const flushedRows = async () => {
    await http.app.get(AuditService).flush();
    return fixture.rows();
  };

  it('records a successful call with who, where, what and how long', async () => {
    expect((await post('/deals', { title: 'Big', password: 'p' })).status).toBe(201);
    const [entry] = await flushedRows();
    expect(entry).toMatchObject({
      workspace_id: WS,
      actor_kind: 'User',
      actor_id: 'user-7',
      action: 'Create',
      subject: 'Deal',
      subject_id: 'deal-1',
      status: 'Success',
      error_code: null,
      error_message: null,
      request_id: 'req-deals',
      user_agent: 'audit-test/1.0',
      metadata: {},
      changes: {},
    });
    expect(entry!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(entry!.ip).toMatch(/127\.0\.0\.1/);
    expect(entry!.duration_ms).toBeGreaterThanOrEqual(0);
  });

  it('records before/after as changed fields only, with secrets redacted, plus metadata', async () => {
    await post('/deals/deal-9/won');
    const [entry] = await flushedRows();
    expect(entry).toMatchObject({ action: 'Stage Change', subject_id: 'deal-9', status: 'Success' });
    expect(entry!.changes).toEqual({ stage: { from: 'Proposal Sent', to: 'Won' }, password: { redacted: true } });
    expect(entry!.metadata).toEqual({ reason: 'customer signed', source: 'board' });
    expect(JSON.stringify(entry)).not.toMatch(/secret/);
  });

  it('records a failure with the error code and message, and the caller still gets the error', async () => {
    const response = await post('/deals/0190a0b2-0000-7000-8000-0000000000d3/delete');
    expect(response.status).toBe(404);
    const [entry] = await flushedRows();
    expect(entry).toMatchObject({
      action: 'Delete',
      subject_id: '0190a0b2-0000-7000-8000-0000000000d3',
      status: 'Failure',
      error_code: 'DEAL_NOT_FOUND',
      error_message: 'Deal 0190a0b2-0000-7000-8000-0000000000d3 not found.',
    });
  });

  it('audits synchronous methods, and providers called outside HTTP (a job) with the job context', async () => {
    const deals = http.app.get(DealsService);
    expect(deals.archiveNow('0190a0b2-0000-7000-8000-0000000000a1')).toBe('0190a0b2-0000-7000-8000-0000000000a1');
    expect(() => deals.archiveNow('0190a0b2-0000-7000-8000-00000000bad0')).toThrow('cannot archive');
    await new ContextService().run({ workspaceId: WS, actor: { kind: 'Job', id: 'job-42' } }, () =>
      http.app.get(ReminderProcessor).process({ dealId: 'deal-5' }),
    );
    const entries = await flushedRows();
    expect(entries.map((e) => [e.action, e.status, e.subject_id, e.actor_kind, e.error_code])).toEqual([
      ['Archive', 'Success', '0190a0b2-0000-7000-8000-0000000000a1', 'System', null],
      ['Archive', 'Failure', '0190a0b2-0000-7000-8000-00000000bad0', 'System', 'Error'],
      ['Send', 'Success', 'deal-5', 'Job', null],
    ]);
    expect(entries[2]!.actor_id).toBe('job-42');
  });

  it('takes a first argument for the subject id only when it looks like one (a UUID or an integer), never a token', async () => {
    const deals = http.app.get(DealsService);
    const token = 'p8Ks0Jb1y3XwVq7n2mR5tLc9hGd4fZa6eUo0iWj_QxY';
    for (const id of [token, 'reset-code-1234', '42']) deals.archiveNow(id);
    deals.archiveNow(7 as unknown as string);
    expect((await flushedRows()).map((e) => e.subject_id)).toEqual([null, null, '42', '7']);
  });

  it('keeps the wrapped method’s own metadata', async () => {
    const deals = http.app.get(DealsService);
    expect(Reflect.getMetadata('custom:key', deals.tagged)).toBe('kept');
    expect((await fetch(`${http.url}/deals/tagged`)).status).toBe(200);
    expect((await flushedRows()).map((e) => e.action)).toEqual(['Touch']);
  });
});

describe('@Audit misuse', () => {
  it('on a controller method is a bootstrap error that says where to put it', async () => {
    @Controller()
    class WrongController {
      @Post()
      @Audit({ action: 'Create', subject: 'Deal' })
      create() {}
    }
    @Module({
      imports: [ContextModule.forRoot(), AuditModule.forRoot({ database: { connectionString: 'postgres://nobody@127.0.0.1:1/none' } })],
      controllers: [WrongController],
    })
    class WrongModule {}
    const moduleRef = await Test.createTestingModule({ imports: [WrongModule] }).compile();
    await expect(moduleRef.createNestApplication({ logger: false }).init()).rejects.toThrow(/WrongController\.create, a controller method/);
  });

  it('rejects action or subject that are not Title Case', () => {
    expect(() => Audit({ action: 'update', subject: 'Deal' })).toThrow(/Title Case/);
    expect(() => Audit({ action: 'Update', subject: 'deal_item' })).toThrow(/Title Case/);
  });
});
