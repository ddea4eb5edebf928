/**
 * Jobs per second through enqueue + processing, against real Redis (embedded unless REDIS_URL):
 *  - ours:     `Producer.add` (payload validated by zod, request context attached) in a Nest app,
 *              a `@QueueProcessor` worker restoring the context around each job, with Prometheus
 *              metrics on;
 *  - baseline: raw BullMQ `Queue.add` + `Worker` with the same payload, job options and concurrency.
 * Each round enqueues JOBS jobs with ADDERS adds in flight (like concurrent API requests) and
 * ends when the last one is processed. Rounds alternate ours/baseline; medians are reported.
 */
import 'reflect-metadata';
import { ContextService, ContextModule } from '@acme/nest-context';
import { defineQueue, getProducerToken, QueueProcessor, QueuesModule, type Producer } from '@acme/nest-queues';
import { startRedis } from '@acme/nest-testing';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue, Worker } from 'bullmq';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { report } from './lib/measure.ts';

const JOBS = 10_000;
const ADDERS = 64;
const CONCURRENCY = 50;
const ROUNDS = 9;
const WARMUP = 1;

const server = await startRedis();
const connection = { url: server.url };

const emails = defineQueue({
  name: 'bench-emails',
  payload: z.object({
    to: z.email(),
    template: z.enum(['Welcome', 'Password Reset', 'Invoice Sent']),
    variables: z.record(z.string(), z.string()),
  }),
  // Keep Redis small over many rounds; everything else stays at the package defaults.
  defaults: { removeOnComplete: true, removeOnFail: true },
  concurrency: CONCURRENCY,
});
const payload = { to: 'ada@example.com', template: 'Welcome', variables: { name: 'Ada', workspace: 'Analytical Engines' } } as const;

/** Counts processed jobs and resolves the round's promise at the target. */
class Counter {
  private count = 0;
  private target = Infinity;
  private done: () => void = () => undefined;
  next(target: number): Promise<void> {
    this.count = 0;
    this.target = target;
    return new Promise((resolve) => (this.done = resolve));
  }
  hit(): void {
    if (++this.count === this.target) this.done();
  }
}

// ours: a Nest app with the producer and the worker (runWorkers), metrics into a private registry
const oursCounter = new Counter();
@QueueProcessor(emails)
class EmailsProcessor {
  process() {
    oursCounter.hit();
  }
}
@Module({
  imports: [
    ContextModule.forRoot(),
    QueuesModule.forRoot({ connection, prefix: 'bench-ours', runWorkers: true, metrics: { registry: new Registry() } }),
    QueuesModule.forFeature([emails]),
  ],
  providers: [EmailsProcessor],
})
class BenchModule {}
const app = await NestFactory.createApplicationContext(BenchModule, { logger: ['error', 'warn'] });
const producer = app.get<symbol, Producer<typeof emails>>(getProducerToken(emails));
const context = new ContextService();

// baseline: the same queue settings through BullMQ directly
const baselineCounter = new Counter();
const rawQueue = new Queue(emails.name, { connection, prefix: 'bench-raw', defaultJobOptions: { ...emails.defaults } });
const rawWorker = new Worker(emails.name, async () => baselineCounter.hit(), { connection, prefix: 'bench-raw', concurrency: CONCURRENCY });
await rawWorker.waitUntilReady();

async function round(add: () => Promise<unknown>, counter: Counter): Promise<number> {
  const processed = counter.next(JOBS);
  const started = performance.now();
  let issued = 0;
  await Promise.all(
    Array.from({ length: ADDERS }, async () => {
      while (issued < JOBS) {
        issued++;
        await add();
      }
    }),
  );
  await processed;
  return JOBS / ((performance.now() - started) / 1000);
}

const oursAdd = () =>
  context.run({ requestId: 'bench-request', workspaceId: '0190a0b2-0000-7000-8000-00000000000a', actor: { kind: 'User', id: 'bench' } }, () =>
    producer.add(payload),
  );
const baselineAdd = () => rawQueue.add(emails.name, payload);

const ours: number[] = [];
const baseline: number[] = [];
for (let i = 0; i < WARMUP + ROUNDS; i++) {
  // Alternate which goes first so neither always runs on a warmer Redis.
  const oursFirst = i % 2 === 0;
  const a = await round(oursFirst ? oursAdd : baselineAdd, oursFirst ? oursCounter : baselineCounter);
  const b = await round(oursFirst ? baselineAdd : oursAdd, oursFirst ? baselineCounter : oursCounter);
  if (i < WARMUP) continue;
  ours.push(oursFirst ? a : b);
  baseline.push(oursFirst ? b : a);
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
console.log(
  `queues: ${JOBS} jobs/round, ${ADDERS} adds in flight, worker concurrency ${CONCURRENCY}, ${ROUNDS} rounds\n` +
    `  ours     (validated add + context + restore + metrics): ${ours.map((n) => n.toFixed(0)).join(', ')} jobs/s\n` +
    `  baseline (raw BullMQ Queue.add + Worker):                ${baseline.map((n) => n.toFixed(0)).join(', ')} jobs/s`,
);
report('queues', median(ours), median(baseline), 'jobs/s', 'higher', { ours, baseline });

await rawWorker.close();
await rawQueue.close();
await app.close();
await server.stop();
