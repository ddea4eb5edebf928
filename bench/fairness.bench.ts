/**
 * Fair queues (`defineQueue({ fairness: { by: 'workspace' } })`) against real Redis (embedded
 * unless REDIS_URL). The producer runs in this process and the workers (concurrency CONCURRENCY per
 * queue) in another, as the API and the worker are deployed:
 *  - quiet wait: a noisy workspace has 10,000 jobs queued; a quiet workspace enqueues one job.
 *    ours = how long that job waits to start on the fair queue; baseline = how long the same job
 *    waits on the idle fair queue (each the median of SAMPLES quiet jobs per round; better=lower). The same flood
 *    on the FIFO queue (the same queue without fairness: plain BullMQ order) is printed for comparison.
 *  - throughput: 2,000 jobs from 10 workspaces enqueued (addBulk) and processed: the fair
 *    queue (ours) vs the FIFO queue (baseline) with the same workers (better=higher).
 * Rounds alternate which queue goes first; medians are reported.
 */
import 'reflect-metadata';
import { ContextModule, ContextService } from '@acme/nest-context';
import { getProducerToken, QueuesModule, type Producer, type QueueDefinition } from '@acme/nest-queues';
import { startRedis } from '@acme/nest-testing';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CONCURRENCY, fair, fifo, now, QUIET } from './lib/fairness-queues.ts';
import { median, report } from './lib/measure.ts';

const FLOOD = 10_000;
const THROUGHPUT_JOBS = 2_000;
const THROUGHPUT_ROUNDS = 10;
const WORKSPACES = 10;
// The quiet wait is a few milliseconds: eight rounds keep one disturbed round from moving the median.
const ROUNDS = Number(process.env.ROUNDS ?? 8);
// Quiet jobs per round, on the idle queue and behind the flood of the fair queue.
const SAMPLES = 3;
const NOISY = '0190a0b2-0000-7000-8000-00000000000a';
const PREFIX = 'bench-fairness';

const server = await startRedis();

// The workers' process reports jobs processed per queue, and when each job of the quiet workspace started.
const processed = new Map<string, number>([
  [fair.name, 0],
  [fifo.name, 0],
]);
const started = new Map<string, number>();
const worker = spawn(process.execPath, [...process.execArgv, fileURLToPath(new URL('./lib/fairness-worker.ts', import.meta.url)), server.url, PREFIX], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let pending = '';
await new Promise<void>((resolve, reject) => {
  worker.stdout!.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const [kind, key, value] = line.split(' ');
      if (kind === 'ready') resolve();
      else if (kind === 'p') processed.set(key!, Number(value));
      else if (kind === 's') started.set(key!, Number(value));
    }
  });
  worker.once('exit', (code) => reject(new Error(`fairness worker exited with ${code}`)));
});

@Module({
  imports: [
    ContextModule.forRoot(),
    QueuesModule.forRoot({ connection: { url: server.url }, prefix: PREFIX, metrics: false }),
    QueuesModule.forFeature([fair, fifo]),
  ],
})
class ProducerModule {}
const app = await NestFactory.createApplicationContext(ProducerModule, { logger: ['error', 'warn'] });
const context = new ContextService();
const producer = (queue: QueueDefinition) => app.get<symbol, Producer>(getProducerToken(queue));
const inWorkspace = <T>(workspaceId: string, fn: () => T) => context.run({ workspaceId, actor: { kind: 'User', id: 'bench' } }, fn);
const until = async (check: () => boolean) => {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 1));
};

/** Enqueues one job of the quiet workspace and returns how long (ms) it waited to start. */
async function quietWait(queue: QueueDefinition): Promise<number> {
  const before = now();
  const job = await inWorkspace(QUIET, () => producer(queue).add({ n: 0 }));
  const key = `${queue.name}:${job.id}`;
  await until(() => started.has(key));
  return started.get(key)! - before;
}

/**
 * The quiet job's wait with the noisy workspace's FLOOD jobs queued (and being processed): the
 * median of SAMPLES quiet jobs, as the idle side takes the median of SAMPLES per round (the same
 * estimator on both sides). Before each one the flood is topped up to FLOOD queued jobs and the
 * workers are seen busy with it.
 */
async function quietWaitBehindFlood(queue: QueueDefinition): Promise<number> {
  // Behind a FIFO flood the quiet job waits for all of it: one sample there.
  const samples = queue === fair ? SAMPLES : 1;
  const start = processed.get(queue.name)!;
  let enqueued = 0;
  const waits: number[] = [];
  const queued = () => enqueued + waits.length - (processed.get(queue.name)! - start);
  for (let i = 0; i < samples; i++) {
    // The workers start on the flood while it is being enqueued: add until FLOOD are queued.
    while (queued() < FLOOD) {
      const size = Math.min(1000, FLOOD - queued());
      await inWorkspace(NOISY, () => producer(queue).addBulk(Array.from({ length: size }, (_, k) => ({ payload: { n: enqueued + k } }))));
      enqueued += size;
    }
    const busyFrom = processed.get(queue.name)!;
    await until(() => processed.get(queue.name)! >= busyFrom + 200); // the workers are busy with the flood
    const left = queued();
    if (left < FLOOD / 2) console.warn(`  (only ${left} flood jobs were left when a quiet job was enqueued)`);
    waits.push(await quietWait(queue));
  }
  await until(() => processed.get(queue.name)! >= start + enqueued + samples);
  return median(waits);
}

/** Jobs/s through addBulk and processing, THROUGHPUT_JOBS jobs spread over WORKSPACES workspaces. */
async function throughput(queue: QueueDefinition): Promise<number> {
  const target = processed.get(queue.name)! + THROUGHPUT_JOBS;
  const t0 = performance.now();
  const perWorkspace = THROUGHPUT_JOBS / WORKSPACES;
  await Promise.all(
    Array.from({ length: WORKSPACES }, async (_, w) => {
      const workspaceId = `0190a0b2-0000-7000-8000-0000000001${String(w).padStart(2, '0')}`;
      for (let i = 0; i < perWorkspace; i += 100) {
        await inWorkspace(workspaceId, () => producer(queue).addBulk(Array.from({ length: 100 }, (_, n) => ({ payload: { n: i + n } }))));
      }
    }),
  );
  await until(() => processed.get(queue.name)! >= target);
  return THROUGHPUT_JOBS / ((performance.now() - t0) / 1000);
}

await quietWait(fair); // warm-up
await throughput(fair);
await throughput(fifo);

const idle: number[] = [];
const fairWaits: number[] = [];
const fifoWaits: number[] = [];
const fairRates: number[] = [];
const fifoRates: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) samples.push(await quietWait(fair));
  idle.push(median(samples));
  const order = round % 2 === 0 ? [fair, fifo] : [fifo, fair];
  for (const queue of order) (queue === fair ? fairWaits : fifoWaits).push(await quietWaitBehindFlood(queue));
}
// Short rounds, alternating which queue goes first, so a neighbour's load spike falls on both alike.
for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
  const order = round % 2 === 0 ? [fair, fifo] : [fifo, fair];
  for (const queue of order) (queue === fair ? fairRates : fifoRates).push(await throughput(queue));
}

const ms = (values: number[]) => values.map((v) => v.toFixed(1)).join(', ');
const rate = (values: number[]) => values.map((v) => v.toFixed(0)).join(', ');
console.log(
  `fairness: worker process with concurrency ${CONCURRENCY} per queue, ${ROUNDS} flood rounds\n` +
    `  quiet job wait, idle fair queue:                 ${ms(idle)} ms\n` +
    `  quiet job wait, fair queue, ${FLOOD} queued:       ${ms(fairWaits)} ms\n` +
    `  quiet job wait, FIFO queue, ${FLOOD} queued:       ${ms(fifoWaits)} ms (median ${median(fifoWaits).toFixed(0)} ms)\n` +
    `  throughput, ${THROUGHPUT_JOBS} jobs of ${WORKSPACES} workspaces, ${THROUGHPUT_ROUNDS} rounds, fair: ${rate(fairRates)} jobs/s\n` +
    `  throughput, ${THROUGHPUT_JOBS} jobs of ${WORKSPACES} workspaces, ${THROUGHPUT_ROUNDS} rounds, FIFO: ${rate(fifoRates)} jobs/s`,
);
report('fairness-quiet-wait', median(fairWaits), median(idle), 'ms', 'lower', { ours: fairWaits, baseline: idle });
report('fairness-throughput', median(fairRates), median(fifoRates), 'jobs/s', 'higher', { ours: fairRates, baseline: fifoRates });

worker.kill('SIGTERM');
await new Promise((resolve) => worker.once('exit', resolve));
await app.close();
await server.stop();
