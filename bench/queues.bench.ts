/**
 * Jobs per second through enqueue + processing, against real Redis (embedded unless REDIS_URL):
 *  - ours:     `Producer.add` (payload validated by zod, request context attached) in a Nest app,
 *              a `@QueueProcessor` worker restoring the context around each job, with Prometheus
 *              metrics on;
 *  - baseline: raw BullMQ `Queue.add` + `Worker` with the same payload, job options and concurrency.
 * Each round enqueues JOBS jobs with ADDERS adds in flight (like concurrent API requests) and
 * ends when the last one is processed. Rounds alternate ours/baseline; medians are reported.
 *
 * Then `queues-cluster`: ours on a Redis Cluster of three masters (startRedisCluster, an ioredis
 * `Cluster`, prefix '{bench}') beside ours on the single Redis, rounds alternating. Reported, no
 * target: a hash-tagged prefix keeps all the queue's keys on one master, so the cluster adds a
 * client that routes by slot, not capacity for one queue.
 */
import 'reflect-metadata';
import { ContextService, ContextModule } from '@acme/nest-context';
import { defineQueue, getProducerToken, QueueProcessor, QueuesModule, type Producer } from '@acme/nest-queues';
import { startRedis, startRedisCluster } from '@acme/nest-testing';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue, Worker } from 'bullmq';
import { Cluster } from 'ioredis';
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

// ours on a Redis Cluster beside ours on the single Redis (the app above)
const cluster = await startRedisCluster();
const clusterConnection = new Cluster([...cluster.nodes], { redisOptions: { maxRetriesPerRequest: null } });
const clusterCounter = new Counter();
@QueueProcessor(emails)
class ClusterEmailsProcessor {
  process() {
    clusterCounter.hit();
  }
}
@Module({
  imports: [
    ContextModule.forRoot(),
    QueuesModule.forRoot({ connection: clusterConnection, prefix: '{bench}', runWorkers: true, metrics: { registry: new Registry() } }),
    QueuesModule.forFeature([emails]),
  ],
  providers: [ClusterEmailsProcessor],
})
class ClusterBenchModule {}
const clusterApp = await NestFactory.createApplicationContext(ClusterBenchModule, { logger: ['error', 'warn'] });
const clusterProducer = clusterApp.get<symbol, Producer<typeof emails>>(getProducerToken(emails));
const clusterAdd = () =>
  context.run({ requestId: 'bench-request', workspaceId: '0190a0b2-0000-7000-8000-00000000000a', actor: { kind: 'User', id: 'bench' } }, () =>
    clusterProducer.add(payload),
  );

const onCluster: number[] = [];
const onSingle: number[] = [];
for (let i = 0; i < WARMUP + ROUNDS; i++) {
  const clusterFirst = i % 2 === 0;
  const a = await round(clusterFirst ? clusterAdd : oursAdd, clusterFirst ? clusterCounter : oursCounter);
  const b = await round(clusterFirst ? oursAdd : clusterAdd, clusterFirst ? oursCounter : clusterCounter);
  if (i < WARMUP) continue;
  onCluster.push(clusterFirst ? a : b);
  onSingle.push(clusterFirst ? b : a);
}
console.log(
  `queues-cluster: the same Nest app and jobs, ${ROUNDS} rounds\n` +
    `  ours on a Redis Cluster (3 masters, prefix '{bench}'): ${onCluster.map((n) => n.toFixed(0)).join(', ')} jobs/s\n` +
    `  ours on a single Redis:                                ${onSingle.map((n) => n.toFixed(0)).join(', ')} jobs/s`,
);
report('queues-cluster', median(onCluster), median(onSingle), 'jobs/s', 'higher', { ours: onCluster, baseline: onSingle });

await clusterApp.close();
clusterConnection.disconnect();
await cluster.stop();
await app.close();
await server.stop();
