import { ContextModule } from '@acme/nest-context';
import {
  bootstrapWorker,
  defineQueue,
  getProducerToken,
  QueueProcessor,
  QueuesHealthIndicator,
  QueuesModule,
  type Producer,
  type QueuesModuleOptions,
} from '@acme/nest-queues';
import { startRedis, type StartedService } from '@acme/nest-testing';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

const jobs = defineQueue({ name: 'outage', payload: z.object({ n: z.number() }) });

@QueueProcessor(jobs)
class OutageProcessor {
  process() {}
}

const servers: StartedService[] = [];
/** A Redis of the test's own, to stop under a running app. */
async function ownRedis(): Promise<StartedService> {
  const server = await startRedis({ strategies: ['embedded'] });
  servers.push(server);
  return server;
}
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
});

// The defaults on purpose: shutdownTimeoutMs 25 s, ioredis' 20 retries per pending command.
const options = (url: string): QueuesModuleOptions => ({ connection: { url }, prefix: 'outage', metrics: false });
const BOUND_MS = 8000;

async function timed(promise: Promise<unknown>): Promise<number> {
  const started = Date.now();
  await promise;
  return Date.now() - started;
}

describe('closing after Redis went away is bounded', () => {
  it('an idle worker stops in seconds, not after the 25 s shutdown deadline', async () => {
    const redis = await ownRedis();
    @Module({ imports: [ContextModule.forRoot(), QueuesModule.forRoot(options(redis.url))], providers: [OutageProcessor] })
    class WorkerModule {}
    const worker = await bootstrapWorker(WorkerModule, { exitProcess: false, signals: [], logger: false });
    await redis.stop();
    const elapsed = await timed(worker.shutdown());
    expect(elapsed).toBeLessThan(BOUND_MS);
  });

  it('a producer app with an add and a health check pending closes in seconds, and the add rejects instead of hanging', async () => {
    const redis = await ownRedis();
    @Module({ imports: [ContextModule.forRoot(), QueuesModule.forRoot(options(redis.url)), QueuesModule.forFeature([jobs])] })
    class ApiModule {}
    const app = await NestFactory.createApplicationContext(ApiModule, { logger: false, abortOnError: false });
    const producer = app.get<symbol, Producer<typeof jobs>>(getProducerToken(jobs));
    await producer.add({ n: 1 });
    await redis.stop();
    const add = producer.add({ n: 2 }).then(
      () => 'added',
      (error: Error) => error.message,
    );
    const health = app.get(QueuesHealthIndicator).isHealthy('queues', { timeoutMs: 200 });
    expect(await health).toMatchObject({ queues: { status: 'down' } });
    const elapsed = await timed(app.close());
    expect(elapsed).toBeLessThan(BOUND_MS);
    expect(await add).toMatch(/Connection is closed|closed/i);
  });

  it('a worker app with runWorkers closes in seconds through app.close()', async () => {
    const redis = await ownRedis();
    @Module({
      imports: [ContextModule.forRoot(), QueuesModule.forRoot({ ...options(redis.url), runWorkers: true }), QueuesModule.forFeature([jobs])],
      providers: [OutageProcessor],
    })
    class WorkerModule {}
    const app = await NestFactory.createApplicationContext(WorkerModule, { logger: false, abortOnError: false });
    await app.get<symbol, Producer<typeof jobs>>(getProducerToken(jobs)).add({ n: 1 });
    await redis.stop();
    const elapsed = await timed(app.close());
    expect(elapsed).toBeLessThan(BOUND_MS);
  });
});
