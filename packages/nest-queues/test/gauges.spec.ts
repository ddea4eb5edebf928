import { ContextModule } from '@acme/nest-context';
import { defineQueue, getProducerToken, QueueProcessor, QueuesModule, type PayloadOf, type Producer } from '@acme/nest-queues';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Registry, type Gauge } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { testRedis, waitFor, type TestRedis } from './support/redis';

const reports = defineQueue({ name: 'reports', payload: z.object({ id: z.string() }), defaults: { attempts: 1 } });
/** Produced to by this app but processed elsewhere: the gauge covers it too. */
const outbox = defineQueue({ name: 'outbox', payload: z.object({ id: z.string() }) });

const started: string[] = [];
let release!: () => void;
const gate = new Promise<void>((resolve) => (release = resolve));

@QueueProcessor(reports) // concurrency 1: while one job is held, the others wait
class ReportsProcessor {
  async process(payload: PayloadOf<typeof reports>) {
    started.push(payload.id);
    await gate;
  }
}

describe('the acme_queues_jobs gauge', () => {
  let redis: TestRedis;
  let app: INestApplicationContext;
  const registry = new Registry();

  /** Scrapes the gauge (which reads Redis) and returns `{ queue: { state: value } }`. */
  async function scrape(): Promise<Record<string, Record<string, number>>> {
    const { values } = await (registry.getSingleMetric('acme_queues_jobs') as Gauge).get();
    const byQueue: Record<string, Record<string, number>> = {};
    for (const { labels, value } of values) (byQueue[labels.queue!] ??= {})[labels.state!] = value;
    return byQueue;
  }

  beforeAll(async () => {
    redis = await testRedis();
    @Module({
      imports: [
        ContextModule.forRoot(),
        QueuesModule.forRoot(redis.options({ runWorkers: true, metrics: { registry } })),
        QueuesModule.forFeature([reports, outbox]),
      ],
      providers: [ReportsProcessor],
    })
    class WorkerModule {}
    app = await NestFactory.createApplicationContext(WorkerModule, { logger: false, abortOnError: false });
  });
  afterAll(async () => {
    release();
    await app?.close();
    await redis?.close();
  });

  it('reports waiting, active and delayed jobs per queue, read from Redis on each scrape', async () => {
    expect(await scrape()).toEqual({
      reports: { waiting: 0, active: 0, delayed: 0, failed: 0 },
      outbox: { waiting: 0, active: 0, delayed: 0, failed: 0 },
    });

    const producer = app.get<symbol, Producer<typeof reports>>(getProducerToken(reports));
    await producer.add({ id: 'held' });
    await waitFor(() => started.includes('held'), { what: 'the first job to start' });
    await producer.add({ id: 'next' });
    await producer.add({ id: 'urgent' }, { priority: 1 }); // BullMQ keeps it apart from the wait list
    await producer.add({ id: 'later' }, { delay: 60_000 });
    await app.get<symbol, Producer<typeof outbox>>(getProducerToken(outbox)).add({ id: 'out' });

    expect(await scrape()).toEqual({
      reports: { waiting: 2, active: 1, delayed: 1, failed: 0 },
      outbox: { waiting: 1, active: 0, delayed: 0, failed: 0 },
    });

    release();
    await waitFor(async () => (await redis.queue(reports.name).getCompletedCount()) === 3, { what: 'the three due jobs completed' });
    expect([...started].sort()).toEqual(['held', 'next', 'urgent']);
    expect((await scrape()).reports).toEqual({ waiting: 0, active: 0, delayed: 1, failed: 0 });
  });
});
