import { ContextModule, ContextService, type RequestContext } from '@acme/nest-context';
import {
  bootstrapWorker,
  Cron,
  defineQueue,
  InjectProducer,
  QueueProcessor,
  QueuesModule,
  WorkerStartupError,
  type PayloadOf,
  type Producer,
  type QueueJob,
  type WorkerProcess,
} from '@acme/nest-queues';
import { Module } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { testRedis, waitFor, type TestRedis } from './support/redis';

const WS_A = '0190a0b2-0000-7000-8000-00000000000a';
const WS_B = '0190a0b2-0000-7000-8000-00000000000b';
const EVERY_MS = 250;

const ticks = defineQueue({ name: 'ticks', payload: z.object({ label: z.string() }), defaults: { attempts: 1 } });
const context = new ContextService();
const runs: Array<{ jobId: string; label: string; context: RequestContext }> = [];

@Cron(ticks, { name: 'frequent', every: EVERY_MS, payload: { label: 'A' } })
@QueueProcessor(ticks)
class TicksV1 {
  process(payload: PayloadOf<typeof ticks>, job: QueueJob<typeof ticks>) {
    runs.push({ jobId: job.id!, label: payload.label, context: context.require() });
  }
}

/** The next release of the code: "frequent" is gone, "nightly" is new. */
@Cron(ticks, { name: 'nightly', pattern: '0 3 * * *', tz: 'Europe/Paris', payload: { label: 'B' } })
@QueueProcessor(ticks)
class TicksV2 {
  process() {}
}

@Cron(ticks, { name: 'broken', every: 60_000, payload: { label: 42 } as never })
@QueueProcessor(ticks)
class TicksBroken {
  process() {}
}

const fanOut = defineQueue({ name: 'digest-fan-out', payload: z.object({}) });
const digest = defineQueue({ name: 'digest', payload: z.object({ period: z.enum(['Daily', 'Weekly']) }) });
const digests: RequestContext[] = [];

@Cron(fanOut, { name: 'daily-digest', every: 200, limit: 1, payload: {} })
@QueueProcessor(fanOut)
class DigestFanOut {
  constructor(@InjectProducer(digest) private readonly digests: Producer<typeof digest>) {}
  process() {
    return this.digests.addForEachWorkspace([WS_A, WS_B], { period: 'Daily' });
  }
}

@QueueProcessor(digest)
class DigestProcessor {
  process() {
    digests.push(context.require());
  }
}

describe('@Cron as BullMQ job schedulers', () => {
  let redis: TestRedis;
  const started: WorkerProcess[] = [];
  const start = async (...providers: Array<new (...args: never[]) => unknown>) => {
    @Module({ imports: [ContextModule.forRoot(), QueuesModule.forRoot(redis.options()), QueuesModule.forFeature([digest])], providers: providers as never })
    class WorkerModule {}
    const worker = await bootstrapWorker(WorkerModule, { exitProcess: false, signals: [], logger: false });
    started.push(worker);
    return worker;
  };
  const stopAll = async () => {
    await Promise.all(started.splice(0).map((worker) => worker.shutdown()));
  };

  beforeAll(async () => {
    redis = await testRedis();
  });
  afterEach(stopAll);
  afterAll(() => redis?.close());

  it('registers a cron once, however many worker replicas start, and each slot runs once', async () => {
    const queue = redis.queue('ticks');
    await queue.upsertJobScheduler('hand-made', { every: 3_600_000 }, { data: { payload: { label: 'manual' }, context: null } });
    await Promise.all([start(TicksV1), start(TicksV1)]);

    const schedulers = await queue.getJobSchedulers();
    expect(schedulers.map((s) => s.key).sort()).toEqual(['frequent', 'hand-made']);
    await waitFor(() => runs.filter((run) => run.label === 'A').length >= 3, { what: 'three cron runs', timeoutMs: 5000 });
    await stopAll();

    // Job ids are repeat:<scheduler>:<slot>: no slot ran twice, slots are EVERY_MS apart.
    // (a new "every" scheduler also runs once right away: the hand-made one did, with its own data)
    expect(runs.filter((run) => run.jobId.startsWith('repeat:hand-made:')).map((run) => run.label)).toEqual(['manual']);
    const frequent = runs.filter((run) => run.jobId.startsWith('repeat:frequent:'));
    const slots = frequent.map((run) => Number(run.jobId.split(':')[2])).sort((a, b) => a - b);
    expect(new Set(slots).size).toBe(slots.length);
    for (let i = 1; i < slots.length; i++) expect(slots[i]! - slots[i - 1]!).toBeGreaterThanOrEqual(EVERY_MS);
    expect(frequent.every((run) => run.label === 'A')).toBe(true);
    // A cron run has no enqueuing request: it acts as the job, outside any workspace.
    const [first] = frequent;
    expect(first!.context).toEqual({ requestId: `job:ticks:${first!.jobId}`, workspaceId: null, actor: { kind: 'Job', id: first!.jobId } });
  });

  it('after a code change, removes schedulers of crons that are gone and leaves hand-made ones', async () => {
    await start(TicksV2);
    const schedulers = await redis.queue('ticks').getJobSchedulers();
    expect(schedulers.map((s) => s.key).sort()).toEqual(['hand-made', 'nightly']);
    const nightly = schedulers.find((s) => s.key === 'nightly')!;
    expect(nightly).toMatchObject({ pattern: '0 3 * * *', tz: 'Europe/Paris' });
    expect(nightly.template?.data).toEqual({ payload: { label: 'B' }, context: null, cron: 'nightly' });
  });

  it('refuses to start with a cron payload that does not match the schema', async () => {
    const failure = start(TicksBroken);
    await expect(failure).rejects.toBeInstanceOf(WorkerStartupError);
    await expect(failure).rejects.toThrow(/Invalid payload for queue "ticks \(cron broken\)": label/);
  });

  it('fans a cron run out to one job per workspace, each in its workspace context, idempotently', async () => {
    await start(DigestFanOut, DigestProcessor);
    await waitFor(() => digests.length === 2, { what: 'two digests' });
    const fanOutRequestId = digests[0]!.requestId;
    expect(fanOutRequestId).toMatch(/^job:digest-fan-out:repeat:daily-digest:\d+$/);
    expect(digests.map((d) => d.workspaceId).sort()).toEqual([WS_A, WS_B]);
    expect(digests.every((d) => d.requestId === fanOutRequestId && d.actor.kind === 'Job')).toBe(true);

    // A retried run (same request id) enqueues nothing new: job ids are <request id>.<workspace>.
    const producer = started[0]!.app.get<symbol, Producer<typeof digest>>(Symbol.for('@acme/nest-queues:producer:digest'));
    const again = await context.run({ requestId: fanOutRequestId, actor: { kind: 'Job', id: 'x' } }, () =>
      producer.addForEachWorkspace([WS_A, WS_B], () => ({ period: 'Daily' as const })),
    );
    expect(again).toBe(2);
    const ids = (await redis.queue('digest').getJobs(['completed', 'waiting', 'active'])).map((job) => job.id).sort();
    expect(ids).toEqual([`${fanOutRequestId.replaceAll(':', '.')}.${WS_A}`, `${fanOutRequestId.replaceAll(':', '.')}.${WS_B}`]);
  });
});
