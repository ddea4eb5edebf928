import { ContextModule, ContextService } from '@acme/nest-context';
import {
  DeadLetters,
  defineQueue,
  getProducerToken,
  OnQueueEvent,
  QueueDefinitionError,
  QueueProcessor,
  QueuesModule,
  QueueWorkers,
  type PayloadOf,
  type Producer,
  type QueueJob,
} from '@acme/nest-queues';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { testRedis, waitFor, type TestRedis } from './support/redis';

const WS = '0190a0b2-0000-7000-8000-0000000000c1';
const BACKOFF_MS = 150;

const charge = defineQueue({
  name: 'charge',
  payload: z.object({ invoice: z.string() }),
  defaults: { attempts: 3, backoff: { type: 'fixed', delay: BACKOFF_MS } },
});
const bestEffort = defineQueue({ name: 'best-effort', payload: z.object({ n: z.number() }), defaults: { attempts: 1 }, deadLetter: false });

const context = new ContextService();
const attempts: Array<{ invoice: string; at: number; attemptsMade: number; requestId: string; workspaceId: string | null }> = [];
const events: Array<[event: string, jobId: string | undefined, requestId: string | undefined]> = [];
let healthy = false;

@QueueProcessor(charge)
class ChargeProcessor {
  process(payload: PayloadOf<typeof charge>, job: QueueJob<typeof charge>) {
    const { requestId, workspaceId } = context.require();
    attempts.push({ invoice: payload.invoice, at: Date.now(), attemptsMade: job.attemptsMade, requestId, workspaceId });
    if (!healthy) throw new Error(`card declined for ${payload.invoice}`);
    return 'charged';
  }

  @OnQueueEvent('failed')
  failed(job: QueueJob<typeof charge>) {
    events.push(['failed', job.id, context.get()?.requestId]);
  }

  @OnQueueEvent('exhausted')
  exhausted(job: QueueJob<typeof charge>, error: Error) {
    events.push([`exhausted: ${error.message}`, job.id, context.get()?.requestId]);
  }

  @OnQueueEvent('active')
  @OnQueueEvent('completed')
  activeOrCompleted(job: QueueJob<typeof charge>, result?: unknown) {
    events.push([result === undefined ? 'active' : `completed: ${String(result)}`, job.id, context.get()?.requestId]);
  }
}

@QueueProcessor(bestEffort)
class BestEffortProcessor {
  process() {
    throw new Error('nope');
  }

  @OnQueueEvent('exhausted')
  exhausted(job: QueueJob<typeof bestEffort>) {
    events.push(['best-effort exhausted', job.id, context.get()?.requestId]);
  }
}

describe('retries, dead letters and replay', () => {
  let redis: TestRedis;
  let app: INestApplicationContext;
  let producer: Producer<typeof charge>;
  let deadLetters: DeadLetters;
  const registry = new Registry();

  beforeAll(async () => {
    redis = await testRedis();
    @Module({
      imports: [
        ContextModule.forRoot(),
        QueuesModule.forRoot(redis.options({ runWorkers: true, metrics: { registry } })),
        QueuesModule.forFeature([charge, bestEffort]),
      ],
      providers: [ChargeProcessor, BestEffortProcessor],
    })
    class WorkerModule {}
    app = await NestFactory.createApplicationContext(WorkerModule, { logger: false, abortOnError: false });
    producer = app.get(getProducerToken(charge));
    deadLetters = app.get(DeadLetters);
  });
  afterAll(async () => {
    await app?.close();
    await redis?.close();
  });

  it('retries with backoff, then copies the job with its error and context to the dead-letter queue', async () => {
    expect(app.get(QueueWorkers).running).toBe(true); // runWorkers: true asks for them in this app
    await context.run({ requestId: 'req-charge', workspaceId: WS, actor: { kind: 'User', id: 'u-2' } }, () =>
      Promise.all([producer.add({ invoice: 'inv-1' }, { jobId: 'charge-inv-1' }), producer.add({ invoice: 'inv-2' })]),
    );
    await waitFor(async () => (await deadLetters.count(charge)) === 2, { what: 'two dead letters' });

    const tries = attempts.filter((attempt) => attempt.invoice === 'inv-1');
    expect(tries.map((attempt) => attempt.attemptsMade)).toEqual([0, 1, 2]);
    expect(tries.every((attempt) => attempt.requestId === 'req-charge' && attempt.workspaceId === WS)).toBe(true);
    for (let i = 1; i < tries.length; i++) expect(tries[i]!.at - tries[i - 1]!.at).toBeGreaterThanOrEqual(BACKOFF_MS - 10);

    const letters = await deadLetters.list(charge);
    const letter = letters.find((entry) => entry.jobId === 'charge-inv-1')!;
    expect(letter).toMatchObject({
      queue: 'charge',
      name: 'charge',
      payload: { invoice: 'inv-1' },
      context: { v: 1, requestId: 'req-charge', workspaceId: WS, actor: { kind: 'User', id: 'u-2' } },
      error: { name: 'Error', message: 'card declined for inv-1' },
      attemptsMade: 3,
    });
    expect(letter.error.stack).toContain('card declined');
    expect(Date.parse(letter.failedAt)).toBeGreaterThanOrEqual(Date.parse(letter.enqueuedAt));

    // Handlers ran in the job's context: every attempt is 'failed', the last one also 'exhausted'.
    await waitFor(() => events.filter(([event]) => event.startsWith('exhausted')).length === 2);
    const forInv1 = events.filter(([, jobId]) => jobId === 'charge-inv-1');
    expect(forInv1).toEqual([
      ['active', 'charge-inv-1', 'req-charge'],
      ['failed', 'charge-inv-1', 'req-charge'],
      ['active', 'charge-inv-1', 'req-charge'],
      ['failed', 'charge-inv-1', 'req-charge'],
      ['active', 'charge-inv-1', 'req-charge'],
      ['failed', 'charge-inv-1', 'req-charge'],
      ['exhausted: card declined for inv-1', 'charge-inv-1', 'req-charge'],
    ]);

    const metrics = await registry.metrics();
    expect(metrics).toContain('acme_queues_jobs_retried_total{queue="charge"} 4');
    expect(metrics).toContain('acme_queues_jobs_failed_total{queue="charge"} 2');
    expect(metrics).toContain('acme_queues_jobs_dead_lettered_total{queue="charge"} 2');
    expect(metrics).toContain('acme_queues_job_duration_seconds_count{queue="charge",status="failed"} 6');
    expect(metrics).toContain('acme_queues_jobs{queue="charge",state="failed"} 2');
  });

  it('replays dead letters in their original context, reusing custom job ids', async () => {
    healthy = true;
    const before = attempts.length;
    const result = await deadLetters.replay(charge);
    expect(result.skipped).toEqual([]);
    expect(result.replayed.map((entry) => entry.jobId)).toContain('charge-inv-1');
    const queue = redis.queue('charge');
    await waitFor(async () => (await queue.getCompletedCount()) === 2, { what: 'replayed jobs completed' });
    const replays = attempts.slice(before);
    expect(replays.map((attempt) => [attempt.invoice, attempt.requestId, attempt.workspaceId]).sort()).toEqual([
      ['inv-1', 'req-charge', WS],
      ['inv-2', 'req-charge', WS],
    ]);
    expect(await queue.getJobState('charge-inv-1')).toBe('completed');
    await waitFor(() => events.some(([event, id]) => event === 'completed: charged' && id === 'charge-inv-1'));
    expect(events.filter(([event]) => event === 'completed: charged').map(([, , requestId]) => requestId)).toEqual(['req-charge', 'req-charge']);
    expect(await deadLetters.count(charge)).toBe(0);
    expect(await registry.metrics()).toContain('acme_queues_jobs_completed_total{queue="charge"} 2');
  });

  it('dead-letters a job not added through a Producer at once, without retries', async () => {
    healthy = false;
    await redis.queue('charge').add('raw', { invoice: 'inv-raw' } as never, { attempts: 3 });
    await waitFor(async () => (await deadLetters.count(charge)) === 1, { what: 'foreign job dead-lettered' });
    const [letter] = await deadLetters.list(charge);
    expect(letter).toMatchObject({ name: 'raw', payload: { invoice: 'inv-raw' }, context: null, attemptsMade: 1 });
    expect(letter!.error.message).toContain('QUEUES_FOREIGN_JOB');
    expect(await deadLetters.discard(charge, [letter!.id])).toBe(1);
    expect(await deadLetters.count(charge)).toBe(0);
  });

  it('dead-letters a job whose context envelope cannot be read at once, without running it', async () => {
    const before = attempts.length;
    await redis.queue('charge').add('corrupt', { payload: { invoice: 'inv-corrupt' }, context: { v: 99, workspaceId: WS } } as never, { attempts: 3 });
    await waitFor(async () => (await deadLetters.count(charge)) === 1, { what: 'corrupt-context job dead-lettered' });
    const [letter] = await deadLetters.list(charge);
    expect(letter).toMatchObject({ name: 'corrupt', payload: { invoice: 'inv-corrupt' }, attemptsMade: 1 });
    expect(letter!.error.message).toMatch(/^\[QUEUES_INVALID_CONTEXT\] Job \S+ of queue "charge" carries an unreadable context/);
    expect(attempts.length).toBe(before); // never ran without its tenant
    expect(await deadLetters.discard(charge, [letter!.id])).toBe(1);
  });

  it('with deadLetter: false the job stays in the failed set and "exhausted" still fires', async () => {
    const bestEffortProducer = app.get<symbol, Producer<typeof bestEffort>>(getProducerToken(bestEffort));
    const job = await bestEffortProducer.add({ n: 1 });
    await waitFor(() => events.some(([event, id]) => event === 'best-effort exhausted' && id === job.id));
    expect(await redis.queue('best-effort').getJobState(job.id!)).toBe('failed');
    // Enqueued outside any context: the job ran as itself, with a request id stable across retries.
    expect(events.find(([event]) => event === 'best-effort exhausted')![2]).toBe(`job:best-effort:${job.id}`);
    await expect(deadLetters.list(bestEffort)).rejects.toBeInstanceOf(QueueDefinitionError);
  });
});
