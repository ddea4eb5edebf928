import { ContextModule, ContextService, type RequestContext } from '@acme/nest-context';
import {
  bootstrapWorker,
  defineQueue,
  getProducerToken,
  InjectProducer,
  Producer,
  QueueProcessor,
  QueueWorkers,
  type PayloadInputOf,
  type PayloadOf,
  type QueueHandler,
  type QueueJob,
  type WorkerProcess,
} from '@acme/nest-queues';
import { TenancyGuard, TenancyModule, TenantDb } from '@acme/nest-tenancy';
import { Body, Controller, Inject, Injectable, Module, Post, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { QueuesModule } from '@acme/nest-queues';
import { startHttpApp } from '@acme/nest-testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { companies, createQueuesDatabase, WS_A, WS_B, type QueuesDatabase } from './support/database';
import { testRedis, waitFor, type TestRedis } from './support/redis';

const importCompany = defineQueue({
  name: 'import-company',
  payload: z.object({ name: z.string().min(1), employees: z.number().int().nonnegative().default(0) }),
});

/** Stands in for JWT authentication: x-user / x-workspace headers -> request.user claims. */
@Injectable()
class FakeAuthGuard implements CanActivate {
  canActivate(execution: ExecutionContext): boolean {
    const request = execution.switchToHttp().getRequest();
    request.user = { sub: request.headers['x-user'], workspace_id: request.headers['x-workspace'] };
    return true;
  }
}

@Controller('companies')
class ImportController {
  constructor(@InjectProducer(importCompany) private readonly imports: Producer<typeof importCompany>) {}

  @Post('import')
  async import(@Body() body: PayloadInputOf<typeof importCompany>) {
    const job = await this.imports.add(body);
    return { jobId: job.id };
  }
}

const seen: Array<{ context: RequestContext; companyId: string }> = [];

@QueueProcessor(importCompany)
class ImportProcessor implements QueueHandler<typeof importCompany> {
  constructor(@Inject(TenantDb) private readonly db: TenantDb) {}

  async process(payload: PayloadOf<typeof importCompany>, job: QueueJob<typeof importCompany>) {
    expect(job.name).toBe('import-company');
    // tenantDb scopes by the restored context: the row lands in the enqueuing workspace.
    const [row] = await this.db
      .insert(companies)
      .values({ name: payload.name, employees: payload.employees } as typeof companies.$inferInsert)
      .returning();
    seen.push({ context: new ContextService().require(), companyId: row!.id });
    return { companyId: row!.id };
  }
}

describe('producer (HTTP app) -> worker (separate application context)', () => {
  let redis: TestRedis;
  let database: QueuesDatabase;
  let http: Awaited<ReturnType<typeof startHttpApp>>;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    [redis, database] = await Promise.all([testRedis(), createQueuesDatabase()]);

    // The API process: same processor class in its graph, but it must never run there.
    @Module({
      imports: [
        ContextModule.forRoot(),
        QueuesModule.forRoot(redis.options()),
        QueuesModule.forFeature([importCompany]),
        TenancyModule.forRoot({ db: database.db }),
      ],
      controllers: [ImportController],
      providers: [ImportProcessor, { provide: APP_GUARD, useClass: FakeAuthGuard }, { provide: APP_GUARD, useClass: TenancyGuard }],
    })
    class ApiModule {}
    http = await startHttpApp(ApiModule, 'express');
  });

  afterAll(async () => {
    await worker?.shutdown();
    await http?.close();
    await redis?.close();
    await database?.close();
  });

  const post = (workspace: string, requestId: string, body: unknown) =>
    fetch(`${http.url}/companies/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': 'user-1', 'x-workspace': workspace, 'x-request-id': requestId },
      body: JSON.stringify(body),
    });

  it('types the payload: producers take the schema input, processors get its output', () => {
    expectTypeOf<PayloadInputOf<typeof importCompany>>().toEqualTypeOf<{ name: string; employees?: number | undefined }>();
    expectTypeOf<PayloadOf<typeof importCompany>>().toEqualTypeOf<{ name: string; employees: number }>();
  });

  it('runs the job in the worker with the enqueuing request context; tenantDb writes to that workspace', async () => {
    const responses = await Promise.all([post(WS_A, 'req-import-a', { name: 'Alpha' }), post(WS_B, 'req-import-b', { name: 'Beta', employees: 12 })]);
    expect(responses.map((r) => r.status)).toEqual([201, 201]);
    const [a, b] = (await Promise.all(responses.map((r) => r.json()))) as Array<{ jobId: string }>;

    // The HTTP app holds the processor class but started no worker: the jobs wait.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const queue = redis.queue(importCompany.name);
    expect(http.app.get(QueueWorkers).running).toBe(false);
    expect(await queue.getJobState(a!.jobId)).toBe('waiting');

    @Module({
      imports: [ContextModule.forRoot(), QueuesModule.forRoot(redis.options()), TenancyModule.forRoot({ db: database.db })],
      providers: [ImportProcessor],
    })
    class WorkerModule {}
    worker = await bootstrapWorker(WorkerModule, { exitProcess: false, signals: [], logger: false });
    expect(worker.workers.queues).toEqual(['import-company']);

    await waitFor(async () => (await queue.getCompletedCount()) === 2, { what: 'both jobs completed' });
    const byRequest = Object.fromEntries(seen.map((entry) => [entry.context.requestId, entry]));
    expect(byRequest['req-import-a']!.context).toEqual({ requestId: 'req-import-a', workspaceId: WS_A, actor: { kind: 'User', id: 'user-1' } });
    expect(byRequest['req-import-b']!.context).toEqual({ requestId: 'req-import-b', workspaceId: WS_B, actor: { kind: 'User', id: 'user-1' } });

    const rows = await database.db.select().from(companies);
    expect(rows.map((row) => [row.name, row.workspaceId, row.employees]).sort()).toEqual([
      ['Alpha', WS_A, 0],
      ['Beta', WS_B, 12],
    ]);
    const jobA = await queue.getJob(a!.jobId);
    expect(jobA!.returnvalue).toEqual({ companyId: byRequest['req-import-a']!.companyId });
    expect(jobA!.data.context).toMatchObject({ v: 1, requestId: 'req-import-a', workspaceId: WS_A });
    expect((await queue.getJob(b!.jobId))!.data.payload).toEqual({ name: 'Beta', employees: 12 });
    const [row] = await database.db.select().from(companies).where(eq(companies.id, byRequest['req-import-b']!.companyId));
    expect(row!.workspaceId).toBe(WS_B);
  });

  it('rejects an invalid payload at add: nothing reaches the queue', async () => {
    const imports = { imports: http.app.get<symbol, Producer<typeof importCompany>>(getProducerToken(importCompany)) };
    expect(imports.imports).toBeInstanceOf(Producer);
    const queue = redis.queue(importCompany.name);
    const before = await queue.count();
    await expect(imports.imports.add({ name: '' })).rejects.toMatchObject({
      code: 'QUEUES_INVALID_PAYLOAD',
      queue: 'import-company',
      issues: [expect.objectContaining({ path: ['name'] })],
    });
    await expect(imports.imports.add({ name: 'X', employees: -1 } as never)).rejects.toThrow(/employees/);
    await expect(imports.imports.addBulk([{ payload: { name: 'ok' } }, { payload: { name: 42 } as never }])).rejects.toMatchObject({
      code: 'QUEUES_INVALID_PAYLOAD',
    });
    const response = await post(WS_A, 'req-invalid', { employees: 3 });
    expect(response.status).toBe(500); // the API decides the HTTP mapping; the point is no job
    expect(await queue.count()).toBe(before);
    expect(await queue.getJobCounts('waiting', 'delayed', 'failed')).toEqual({ waiting: 0, delayed: 0, failed: 0 });
  });

  it('a job id deduplicates adds', async () => {
    const imports = http.app.get<symbol, Producer<typeof importCompany>>(getProducerToken(importCompany));
    const context = new ContextService();
    const [first, second] = await context.run({ workspaceId: WS_A, actor: { kind: 'System', id: null } }, () =>
      Promise.all([imports.add({ name: 'Once' }, { jobId: 'import-once' }), imports.add({ name: 'Once' }, { jobId: 'import-once' })]),
    );
    expect(first.id).toBe('import-once');
    expect(second.id).toBe('import-once');
    await waitFor(async () => (await redis.queue(importCompany.name).getJobState('import-once')) === 'completed');
    const rows = await database.db.select().from(companies).where(eq(companies.name, 'Once'));
    expect(rows).toHaveLength(1);
  });
});
