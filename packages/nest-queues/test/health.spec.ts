import { ContextModule } from '@acme/nest-context';
import { defineQueue, getProducerToken, QueuesHealthIndicator, QueuesModule, type Producer } from '@acme/nest-queues';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startRedis } from '@acme/nest-testing';
import { testRedis, type TestRedis } from './support/redis';

const pings = defineQueue({ name: 'pings', payload: z.object({}) });

async function bootHealth(options: Parameters<typeof QueuesModule.forRoot>[0]): Promise<INestApplicationContext> {
  @Module({ imports: [ContextModule.forRoot(), QueuesModule.forRoot(options), QueuesModule.forFeature([pings]), TerminusModule] })
  class AppModule {}
  return NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
}

describe('QueuesHealthIndicator with @nestjs/terminus', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await testRedis();
  });
  afterAll(() => redis?.close());

  it('is up with job counts when Redis answers', async () => {
    const app = await bootHealth(redis.options());
    try {
      const producer = app.get<symbol, Producer<typeof pings>>(getProducerToken(pings));
      await producer.add({});
      await producer.add({}, { priority: 1 }); // kept apart from BullMQ's wait list, waiting all the same
      const indicator = app.get(QueuesHealthIndicator);
      const result = await app.get(HealthCheckService).check([() => indicator.isHealthy('queues')]);
      expect(result.status).toBe('ok');
      expect(result.details.queues).toEqual({
        status: 'up',
        workers: 'stopped',
        queues: { pings: { waiting: 2, active: 0, delayed: 0, failed: 0 } },
      });
    } finally {
      await app.close();
    }
  });

  it('is down, failing the health check, when Redis does not answer in time', async () => {
    const own = await startRedis({ strategies: ['embedded'] }); // stopped below: the app outlives its Redis
    // ioredis' defaults: closing the app below is bounded although a command is queued for the stopped server.
    const app = await bootHealth({ ...redis.options(), connection: { url: own.url } });
    try {
      await own.stop();
      const indicator = app.get(QueuesHealthIndicator);
      const check = app.get(HealthCheckService).check([() => indicator.isHealthy('queues', { timeoutMs: 300 })]);
      await expect(check).rejects.toMatchObject({
        response: { status: 'error', error: { queues: { status: 'down', message: expect.stringContaining('Redis did not answer within 300 ms') } } },
      });
    } finally {
      await app.close();
      await own.stop();
    }
  });
});
