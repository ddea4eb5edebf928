import { ContextModule, ContextNotConfiguredError, ContextService } from '@acme/nest-context';
import { bootstrapWorker, defineQueue, getProducerToken, InjectProducer, Producer, QueueProcessor, QueuesModule } from '@acme/nest-queues';
import { startHttpApp } from '@acme/nest-testing';
import { Controller, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { testRedis, type TestRedis } from './support/redis';

const signups = defineQueue({ name: 'signups', payload: z.object({ email: z.string() }) });

@QueueProcessor(signups)
class SignupsProcessor {
  process() {}
}

@Controller('signups')
class SignupsController {
  constructor(@InjectProducer(signups) private readonly producer: Producer<typeof signups>) {}

  @Post()
  async signUp() {
    const job = await this.producer.add({ email: 'a@example.com' });
    return { jobId: job.id };
  }
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('QueuesModule and the app’s ContextModule.forRoot()', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await testRedis();
  });
  afterAll(() => redis?.close());

  it('a worker module without ContextModule.forRoot() fails to start, saying to add it', async () => {
    @Module({ imports: [QueuesModule.forRoot(redis.options())], providers: [SignupsProcessor] })
    class WorkerModule {}
    const error = await refusal(bootstrapWorker(WorkerModule, { exitProcess: false, signals: [], logger: false }));
    expect(error).toBeInstanceOf(ContextNotConfiguredError);
    expect((error as ContextNotConfiguredError).code).toBe('CONTEXT_NOT_CONFIGURED');
    expect((error as Error).message).toContain("Add ContextModule.forRoot() to the imports of your root module (and of your worker's module)");
  });

  it('a producer app without ContextModule.forRoot() fails at bootstrap, not on its first request', async () => {
    @Module({ imports: [QueuesModule.forRoot(redis.options()), QueuesModule.forFeature([signups])] })
    class ApiModule {}
    const error = await refusal(NestFactory.createApplicationContext(ApiModule, { logger: false, abortOnError: false }));
    expect(error).toBeInstanceOf(ContextNotConfiguredError);
  });

  it('the app’s forRoot options are the ones in force: jobs carry the request id from its header', async () => {
    @Module({
      imports: [ContextModule.forRoot({ requestIdHeader: 'x-correlation-id' }), QueuesModule.forRoot(redis.options()), QueuesModule.forFeature([signups])],
      controllers: [SignupsController],
    })
    class ApiModule {}
    const http = await startHttpApp(ApiModule, 'express');
    try {
      const response = await http.request('POST', '/signups', { headers: { 'x-correlation-id': 'corr-signup-1', 'x-request-id': 'other' } });
      expect(response.status).toBe(201);
      expect(response.headers.get('x-correlation-id')).toBe('corr-signup-1');
      const job = await redis.queue(signups.name).getJob((response.body as { jobId: string }).jobId);
      expect(job!.data.context).toMatchObject({ requestId: 'corr-signup-1' });
      // The producer is the app's: outside a request it attaches no context.
      const producer = http.app.get<symbol, Producer<typeof signups>>(getProducerToken(signups));
      expect(new ContextService().get()).toBeUndefined();
      expect((await producer.add({ email: 'b@example.com' })).data.context).toBeNull();
    } finally {
      await http.close();
    }
  });
});
