import { ContextModule, withTimeout } from '@acme/nest-context';
import { defineQueue, getProducerToken, QueueProcessor, QueuesModule, type Producer } from '@acme/nest-queues';
import { PartitionProxy, type StartedService, startRedis } from '@acme/nest-testing';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { waitFor } from './support/redis';

const reports = defineQueue({ name: 'reports', payload: z.object({ id: z.string() }) });

let processed = 0;
@QueueProcessor(reports)
class ReportsProcessor {
  process() {
    processed += 1;
  }
}

const SCRAPE_TIMEOUT_MS = 300;
/** The scrape timeout plus room for a loaded machine; far under ioredis' reconnect-and-retry wait. */
const BOUND_MS = SCRAPE_TIMEOUT_MS + 1200;

/** Scrapes `registry`, failing (rather than hanging the test) when the scrape takes longer than BOUND_MS. */
async function boundedScrape(registry: Registry): Promise<string> {
  const started = Date.now();
  const text = await withTimeout(registry.metrics(), BOUND_MS, () => new Error(`registry.metrics() did not answer within ${BOUND_MS} ms`));
  expect(Date.now() - started).toBeLessThan(BOUND_MS);
  return text;
}

describe('a scrape while Redis does not answer', () => {
  let redis: StartedService;
  let proxy: PartitionProxy;
  let app: INestApplicationContext;
  const registry = new Registry();

  beforeAll(async () => {
    redis = await startRedis({ strategies: ['embedded'] }); // its own: the test cuts the way to it
    proxy = await PartitionProxy.start(redis.url);
    @Module({
      imports: [
        ContextModule.forRoot(),
        QueuesModule.forRoot({
          connection: { url: proxy.url },
          prefix: 'gauge-outage',
          runWorkers: true,
          startupTimeoutMs: 5000,
          shutdownTimeoutMs: 1000,
          metrics: { registry, scrapeTimeoutMs: SCRAPE_TIMEOUT_MS },
        }),
        QueuesModule.forFeature([reports]),
      ],
      providers: [ReportsProcessor],
    })
    class WorkerModule {}
    app = await NestFactory.createApplicationContext(WorkerModule, { logger: false, abortOnError: false });
  });
  afterAll(async () => {
    proxy?.restore();
    await app?.close();
    await proxy?.close();
    await redis?.stop();
  });

  it('answers within the scrape timeout with every other metric, and the jobs series return once Redis answers', async () => {
    await app.get<symbol, Producer<typeof reports>>(getProducerToken(reports)).add({ id: 'r1' });
    await waitFor(() => processed === 1, { what: 'the job to be processed' });
    const before = await registry.metrics();
    expect(before).toMatch(/^acme_queues_jobs\{queue="reports",state="waiting"\} 0$/m);
    expect(before).toMatch(/^acme_queues_jobs_completed_total\{queue="reports"\} 1$/m);

    proxy.cut(); // connections stay open, nothing comes back: ioredis holds the commands
    for (let scrape = 0; scrape < 2; scrape++) {
      const during = await boundedScrape(registry);
      expect(during).not.toMatch(/^acme_queues_jobs\{/m);
      expect(during).toMatch(/^acme_queues_jobs_completed_total\{queue="reports"\} 1$/m);
      expect(during).toMatch(/^acme_queues_redis_volatile 0$/m);
      expect(during).toMatch(/^acme_queues_job_duration_seconds_count\{queue="reports",status="completed"\} 1$/m);
    }

    proxy.restore(); // the client reconnects
    await waitFor(async () => /^acme_queues_jobs\{queue="reports",state="waiting"\} 0$/m.test(await registry.metrics()), {
      what: 'the jobs series to come back',
    });
  });
});

describe('a scrape while Redis is stopped', () => {
  it('answers within the scrape timeout, without the jobs series', async () => {
    const redis = await startRedis({ strategies: ['embedded'] }); // stopped below: the app outlives its Redis
    const registry = new Registry();
    @Module({
      imports: [
        ContextModule.forRoot(),
        QueuesModule.forRoot({ connection: { url: redis.url }, prefix: 'gauge-stopped', metrics: { registry, scrapeTimeoutMs: SCRAPE_TIMEOUT_MS } }),
        QueuesModule.forFeature([reports]),
      ],
    })
    class ApiModule {}
    const app = await NestFactory.createApplicationContext(ApiModule, { logger: false, abortOnError: false });
    try {
      expect(await boundedScrape(registry)).toMatch(/^acme_queues_jobs\{queue="reports",state="waiting"\} 0$/m);
      await redis.stop(); // ioredis reconnects in the background and queues the commands meanwhile
      const during = await boundedScrape(registry);
      expect(during).not.toMatch(/^acme_queues_jobs\{/m);
      expect(during).toMatch(/^acme_queues_redis_volatile 0$/m);
    } finally {
      await app.close();
      await redis.stop();
    }
  });
});
