import { ContextModule } from '@acme/nest-context';
import { defineQueue, getProducerToken, QueueProcessor, QueuesModule, type Producer } from '@acme/nest-queues';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { testRedis, waitFor, type TestRedis } from './support/redis';

const CONCURRENCY = 3;
const parallel = defineQueue({ name: 'parallel', payload: z.object({ n: z.number() }), defaults: { attempts: 1 }, concurrency: CONCURRENCY });

const LIMIT = { max: 5, duration: 1000 };
// More concurrency than the limit allows: only the limiter can hold jobs back.
const limited = defineQueue({ name: 'limited', payload: z.object({ n: z.number() }), defaults: { attempts: 1 }, limiter: LIMIT, concurrency: 10 });

let inFlight = 0;
let maxInFlight = 0;
let openBarrier!: () => void;
const allInFlight = new Promise<void>((resolve) => (openBarrier = resolve));

@QueueProcessor(parallel)
class ParallelProcessor {
  async process() {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    if (inFlight === CONCURRENCY) openBarrier();
    // Hold the first jobs until CONCURRENCY of them run at once (with a worker running fewer, the
    // first job gives up after 2 s and lets all pass, so the assertion fails rather than the
    // timeout), then a little longer, so a worker running more would start the next one meanwhile.
    await Promise.race([allInFlight, sleep(2000, undefined, { ref: false }).then(openBarrier)]);
    await sleep(50);
    inFlight--;
  }
}

const starts: number[] = [];

@QueueProcessor(limited)
class LimitedProcessor {
  process() {
    starts.push(Date.now());
  }
}

describe('concurrency and limiter of a queue definition, at runtime', () => {
  let redis: TestRedis;
  let app: INestApplicationContext;

  beforeAll(async () => {
    redis = await testRedis();
    @Module({
      imports: [ContextModule.forRoot(), QueuesModule.forRoot(redis.options({ runWorkers: true })), QueuesModule.forFeature([parallel, limited])],
      providers: [ParallelProcessor, LimitedProcessor],
    })
    class WorkerModule {}
    app = await NestFactory.createApplicationContext(WorkerModule, { logger: false, abortOnError: false });
  });
  afterAll(async () => {
    openBarrier();
    await app?.close();
    await redis?.close();
  });

  it(`runs ${CONCURRENCY} jobs at once in one worker, and never more`, async () => {
    const producer = app.get<symbol, Producer<typeof parallel>>(getProducerToken(parallel));
    await producer.addBulk(Array.from({ length: CONCURRENCY * 3 }, (_, n) => ({ payload: { n } })));
    await waitFor(async () => (await redis.queue(parallel.name).getCompletedCount()) === CONCURRENCY * 3, { what: 'parallel jobs completed' });
    expect(maxInFlight).toBe(CONCURRENCY);
  });

  it(`starts at most ${LIMIT.max} jobs per ${LIMIT.duration} ms window with a limiter`, async () => {
    const producer = app.get<symbol, Producer<typeof limited>>(getProducerToken(limited));
    const jobs = LIMIT.max * 2 + 1; // three windows: 5, 5, 1
    await producer.addBulk(Array.from({ length: jobs }, (_, n) => ({ payload: { n } })));
    await waitFor(() => starts.length === jobs, { what: 'limited jobs started' });
    const first = Math.min(...starts);
    const at = starts.map((time) => time - first).sort((a, b) => a - b); // ms after the first job started
    // BullMQ's window opens with its first job and lasts `duration`: job max*k starts no earlier
    // than k windows after the first one. The margin absorbs the delay between Redis starting a
    // job and the processor noting the time.
    const margin = 100;
    expect(at[LIMIT.max]).toBeGreaterThanOrEqual(LIMIT.duration - margin);
    expect(at[LIMIT.max * 2]).toBeGreaterThanOrEqual(LIMIT.duration * 2 - margin);
    // ... and the limiter does not hold back more than it should: a full window runs at once.
    expect(at[LIMIT.max - 1]).toBeLessThan(LIMIT.duration);
  });
});
