import { ContextModule, ContextService } from '@acme/nest-context';
import {
  bootstrapWorker,
  Cron,
  defineQueue,
  getProducerToken,
  QueueProcessor,
  QueuesModule,
  type PayloadOf,
  type Producer,
  type WorkerProcess,
} from '@acme/nest-queues';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { testRedis, waitFor, type TestRedis } from './support/redis';

const WS = '0190a0b2-0000-7000-8000-0000000000d1';
const invoices = defineQueue({ name: 'invoices', payload: z.object({ id: z.string() }) });
const receipts = defineQueue({ name: 'receipts', payload: z.object({ id: z.string() }) });
const heartbeats = defineQueue({ name: 'heartbeats', payload: z.object({ source: z.string() }) });

const seen: Array<{ by: string; id: string; workspaceId: string | null }> = [];
const context = new ContextService();

@Injectable()
class Mailer {
  readonly from = 'billing@example.com';
}

/** Built by a factory (e.g. to pass configuration): its provider's metatype is the factory. */
@QueueProcessor(invoices)
class InvoicesProcessor {
  constructor(private readonly mailer: Mailer) {}
  process(payload: PayloadOf<typeof invoices>) {
    seen.push({ by: `factory via ${this.mailer.from}`, id: payload.id, workspaceId: context.get()?.workspaceId ?? null });
  }
}

/** Given as an instance: its provider has no metatype at all. */
@QueueProcessor(receipts)
class ReceiptsProcessor {
  constructor(private readonly label: string) {}
  process(payload: PayloadOf<typeof receipts>) {
    seen.push({ by: this.label, id: payload.id, workspaceId: context.get()?.workspaceId ?? null });
  }
}

/** A cron on a class built by a factory is found too. */
@Cron(heartbeats, { name: 'factory-heartbeat', every: 200, limit: 1, payload: { source: 'factory' } })
@QueueProcessor(heartbeats)
class HeartbeatsProcessor {
  process(payload: PayloadOf<typeof heartbeats>) {
    seen.push({ by: 'cron', id: payload.source, workspaceId: null });
  }
}

describe('processors provided with useFactory and useValue', () => {
  let redis: TestRedis;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    redis = await testRedis();
  });
  afterAll(async () => {
    await worker?.shutdown();
    await redis?.close();
  });

  it('are discovered: each processes its jobs in the enqueuing context, and a cron on one is scheduled', async () => {
    @Module({
      imports: [ContextModule.forRoot(), QueuesModule.forRoot(redis.options())],
      providers: [
        Mailer,
        { provide: InvoicesProcessor, inject: [Mailer], useFactory: (mailer: Mailer) => new InvoicesProcessor(mailer) },
        { provide: 'RECEIPTS_PROCESSOR', useValue: new ReceiptsProcessor('value') },
        { provide: HeartbeatsProcessor, useFactory: async () => new HeartbeatsProcessor() },
        // An alias of the same instance must not count as a second processor of the queue.
        { provide: 'INVOICES_ALIAS', useExisting: InvoicesProcessor },
      ],
    })
    class WorkerModule {}
    worker = await bootstrapWorker(WorkerModule, { exitProcess: false, signals: [], logger: false });
    expect([...worker.workers.queues].sort()).toEqual(['heartbeats', 'invoices', 'receipts']);

    @Module({ imports: [ContextModule.forRoot(), QueuesModule.forRoot(redis.options()), QueuesModule.forFeature([invoices, receipts])] })
    class ApiModule {}
    const api = await NestFactory.createApplicationContext(ApiModule, { logger: false, abortOnError: false });
    try {
      await context.run({ workspaceId: WS, actor: { kind: 'User', id: 'u-1' } }, () =>
        Promise.all([
          api.get<symbol, Producer<typeof invoices>>(getProducerToken(invoices)).add({ id: 'inv-1' }),
          api.get<symbol, Producer<typeof receipts>>(getProducerToken(receipts)).add({ id: 'rcpt-1' }),
        ]),
      );
      await waitFor(() => seen.length === 3, { what: 'both jobs and the cron run processed' });
      expect(seen).toEqual(
        expect.arrayContaining([
          { by: 'factory via billing@example.com', id: 'inv-1', workspaceId: WS },
          { by: 'value', id: 'rcpt-1', workspaceId: WS },
          { by: 'cron', id: 'factory', workspaceId: null },
        ]),
      );
    } finally {
      await api.close();
    }
  });
});
