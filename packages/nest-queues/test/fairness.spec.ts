import { ContextModule, ContextService } from '@acme/nest-context';
import {
  DeadLetters,
  defineQueue,
  FairQueuePriorityError,
  getProducerToken,
  QueueDefinitionError,
  QueueProcessor,
  QueuesModule,
  type PayloadOf,
  type Producer,
  type QueueDefinition,
  type QueueJob,
} from '@acme/nest-queues';
import { Module, type INestApplicationContext, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { WS_A, WS_B } from './support/database';
import { testRedis, waitFor, type TestRedis } from './support/redis';

const context = new ContextService();
const task = z.object({ ms: z.number().int().nonnegative(), fail: z.number().int().nonnegative().default(0) });

/** One run of a job, as its processor saw it. */
interface Run {
  queue: string;
  workspaceId: string | null;
  jobId: string;
  start: number;
  end: number;
  attemptsMade: number;
  attemptsStarted: number;
}
const runs: Run[] = [];
const runsOf = (queue: string, workspaceId?: string) =>
  runs.filter((run) => run.queue === queue && (workspaceId === undefined || run.workspaceId === workspaceId));

/** Sleeps `ms`, failing the first `fail` attempts; records when it ran and in which workspace. */
async function work(payload: z.output<typeof task>, job: QueueJob) {
  const run: Run = {
    queue: job.queueName,
    workspaceId: context.require().workspaceId,
    jobId: job.id!,
    start: performance.now(),
    end: Infinity,
    attemptsMade: job.attemptsMade,
    attemptsStarted: job.attemptsStarted,
  };
  runs.push(run);
  await sleep(payload.ms);
  run.end = performance.now();
  if (job.attemptsMade < payload.fail) throw new Error(`attempt ${job.attemptsMade + 1} fails on purpose`);
}

const fairOrder = defineQueue({ name: 'fair-order', payload: task, fairness: { by: 'workspace' }, defaults: { removeOnComplete: true } });
const fifoOrder = defineQueue({ name: 'fifo-order', payload: task, defaults: { removeOnComplete: true } });
const capped = defineQueue({ name: 'fair-capped', payload: task, fairness: { by: 'workspace', concurrency: 1 }, concurrency: 4 });
const uncapped = defineQueue({ name: 'fair-uncapped', payload: task, fairness: { by: 'workspace' }, concurrency: 4 });
const rated = defineQueue({ name: 'fair-rated', payload: task, fairness: { by: 'workspace', rate: { max: 4, duration: 400 } }, concurrency: 4 });
const retried = defineQueue({
  name: 'fair-retried',
  payload: task,
  fairness: { by: 'workspace', concurrency: 1 },
  defaults: { attempts: 3, backoff: { type: 'fixed', delay: 50 } },
  concurrency: 4,
});
const queues: QueueDefinition[] = [fairOrder, fifoOrder, capped, uncapped, rated, retried];

const processors = queues.map((queue) => {
  @QueueProcessor(queue)
  class Processor {
    process(payload: PayloadOf<typeof fairOrder>, job: QueueJob) {
      return work(payload, job);
    }
  }
  return Processor as Type;
});

/** Two apps, each running one worker per queue: the caps must hold across both. */
async function workerApp(redis: TestRedis): Promise<INestApplicationContext> {
  @Module({
    imports: [ContextModule.forRoot(), QueuesModule.forRoot(redis.options({ runWorkers: true })), QueuesModule.forFeature(queues)],
    providers: processors,
  })
  class WorkerModule {}
  return NestFactory.createApplicationContext(WorkerModule, { logger: false });
}

const asWorkspace = <T>(workspaceId: string, fn: () => T): T => context.run({ workspaceId, actor: { kind: 'User', id: 'u1' } }, fn);

/** True when two runs of the list were running at the same time. */
function overlaps(list: readonly Run[]): Array<[string, string]> {
  const sorted = [...list].sort((a, b) => a.start - b.start);
  const found: Array<[string, string]> = [];
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.start < sorted[i - 1]!.end) found.push([sorted[i - 1]!.jobId, sorted[i]!.jobId]);
  return found;
}

describe('fair queues (by workspace)', () => {
  let redis: TestRedis;
  let apps: INestApplicationContext[];
  const producer = <Q extends QueueDefinition>(queue: Q) => apps[0]!.get<Producer<Q>>(getProducerToken(queue));

  beforeAll(async () => {
    redis = await testRedis();
    apps = [await workerApp(redis), await workerApp(redis)];
  });
  afterAll(async () => {
    await Promise.allSettled((apps ?? []).map((app) => app.close()));
    await redis?.close();
  });

  /** Floods `queue` with 1,000 jobs of A, then adds one job of B once A's jobs run: how many of A's start before B's. */
  async function quietJobBehindFlood(queue: QueueDefinition): Promise<number> {
    const jobs = Array.from({ length: 1000 }, () => ({ payload: { ms: 1 } }));
    await asWorkspace(WS_A, () => producer(queue).addBulk(jobs));
    await waitFor(() => runsOf(queue.name, WS_A).length >= 20, { what: 'the flood to be processing' });
    const before = runsOf(queue.name).length;
    const quiet = await asWorkspace(WS_B, () => producer(queue).add({ ms: 1 }));
    const run = await waitFor(() => runsOf(queue.name).find((r) => r.jobId === quiet.id), { timeoutMs: 30_000, what: "B's job to start" });
    return runsOf(queue.name).indexOf(run) - before;
  }

  it("serves a quiet workspace's job within a few jobs of a 1,000-job flood from another", async () => {
    const aheadOfQuiet = await quietJobBehindFlood(fairOrder);
    // The two workers' jobs in flight and A's job of the current turn (enqueued before it),
    // plus the few A jobs that start while the add makes its round trips on a busy machine.
    expect(aheadOfQuiet).toBeLessThanOrEqual(8);
    await waitFor(() => runsOf(fairOrder.name, WS_A).length === 1000, { timeoutMs: 30_000, what: "A's flood to drain" });
  });

  it('(the same flood on a FIFO queue keeps the quiet job waiting behind the backlog)', async () => {
    expect(await quietJobBehindFlood(fifoOrder)).toBeGreaterThan(900);
  });

  it('never runs two jobs of one workspace at once under concurrency 1, across two workers, while other workspaces run alongside', async () => {
    const jobs = Array.from({ length: 12 }, () => ({ payload: { ms: 30 } }));
    await Promise.all([asWorkspace(WS_A, () => producer(capped).addBulk(jobs)), asWorkspace(WS_B, () => producer(capped).addBulk(jobs))]);
    await waitFor(() => runsOf(capped.name).filter((run) => run.end !== Infinity).length === 24, { timeoutMs: 20_000, what: 'all capped jobs' });
    expect(overlaps(runsOf(capped.name, WS_A))).toEqual([]);
    expect(overlaps(runsOf(capped.name, WS_B))).toEqual([]);
    // The cap is per workspace: A and B ran side by side, and the cap did turn jobs away.
    expect(overlaps(runsOf(capped.name)).length).toBeGreaterThan(0);
    expect(runsOf(capped.name).some((run) => run.attemptsStarted > 1)).toBe(true);
    // A job turned away is not an attempt: each ran exactly once, on its first attempt.
    expect(runsOf(capped.name).every((run) => run.attemptsMade === 0)).toBe(true);
    expect(new Set(runsOf(capped.name).map((run) => run.jobId)).size).toBe(24);
  });

  it('(without a cap the same jobs of one workspace do overlap: the check above can see it)', async () => {
    const jobs = Array.from({ length: 12 }, () => ({ payload: { ms: 30 } }));
    await asWorkspace(WS_A, () => producer(uncapped).addBulk(jobs));
    await waitFor(() => runsOf(uncapped.name).filter((run) => run.end !== Infinity).length === 12, { timeoutMs: 20_000, what: 'all uncapped jobs' });
    expect(overlaps(runsOf(uncapped.name, WS_A)).length).toBeGreaterThan(0);
  });

  it("spaces one workspace's starts by its rate across two workers, without slowing another workspace", async () => {
    // rate 4 per 400 ms: one start every 100 ms per workspace
    const jobs = (n: number) => Array.from({ length: n }, () => ({ payload: { ms: 0 } }));
    await asWorkspace(WS_A, () => producer(rated).addBulk(jobs(10)));
    await asWorkspace(WS_B, () => producer(rated).addBulk(jobs(2)));
    await waitFor(() => runsOf(rated.name).length === 12, { timeoutMs: 20_000, what: 'all rated jobs' });
    const starts = runsOf(rated.name, WS_A)
      .map((run) => run.start)
      .sort((a, b) => a - b);
    // Redis' clock admits them 100 ms apart. A busy event loop may start one late (never early), so
    // the assertions leave room for that while staying far from an unlimited workspace (all at once).
    const inAnyWindow = Math.max(...starts.map((start) => starts.filter((other) => other >= start && other < start + 400).length));
    expect(inAnyWindow).toBeLessThanOrEqual(4 + 1);
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(9 * 100 - 150);
    // B's first job did not wait behind A's ten: it started before A's fifth.
    const bFirst = Math.min(...runsOf(rated.name, WS_B).map((run) => run.start));
    expect(bFirst).toBeLessThan(starts[4]!);
    expect(runsOf(rated.name).every((run) => run.attemptsMade === 0)).toBe(true);
  });

  it('keeps retries, dead letters and the context envelope working on a fair queue', async () => {
    const flaky = await asWorkspace(WS_A, () => producer(retried).add({ ms: 5, fail: 2 }));
    const doomed = await asWorkspace(WS_B, () => producer(retried).add({ ms: 5, fail: 9 }));
    // Jobs of A alongside the flaky one, so it is turned away by the cap between its attempts too.
    await asWorkspace(WS_A, () => producer(retried).addBulk(Array.from({ length: 4 }, () => ({ payload: { ms: 20 } }))));
    const deadLetters = apps[0]!.get(DeadLetters);
    const [letter] = await waitFor(
      async () => {
        const letters = await deadLetters.list(retried);
        return letters.length === 1 ? letters : null;
      },
      { what: 'the dead letter' },
    );
    expect(letter).toMatchObject({ jobId: doomed.id, attemptsMade: 3, context: { workspaceId: WS_B } });
    await waitFor(async () => (await redis.queue(retried.name).getJob(flaky.id!))?.finishedOn, { what: 'the flaky job to complete' });
    const flakyRuns = runs.filter((run) => run.queue === retried.name && run.jobId === flaky.id);
    expect(flakyRuns.map((run) => [run.attemptsMade, run.workspaceId])).toEqual([
      [0, WS_A],
      [1, WS_A],
      [2, WS_A],
    ]);
    expect(await redis.queue(retried.name).getJobState(flaky.id!)).toBe('completed');
    // Retries keep their turn (priority).
    expect((await redis.queue(retried.name).getJob(flaky.id!))?.priority).toBe(flaky.priority);
  });

  it('refuses job priorities on a fair queue, at definition and at add', async () => {
    expect(() => defineQueue({ name: 'q', payload: task, fairness: { by: 'workspace' }, defaults: { priority: 3 } })).toThrow(QueueDefinitionError);
    await expect(asWorkspace(WS_A, () => producer(fairOrder).add({ ms: 0 }, { priority: 1 }))).rejects.toBeInstanceOf(FairQueuePriorityError);
    await expect(asWorkspace(WS_A, () => producer(fairOrder).addBulk([{ payload: { ms: 0 }, options: { priority: 2 } }]))).rejects.toMatchObject({
      code: 'QUEUES_FAIR_PRIORITY',
    });
  });
});
