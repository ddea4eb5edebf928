import { ContextModule, ContextService } from '@acme/nest-context';
import { getProducerToken, QueueProcessor, QueuesModule, QueueWorkers, type PayloadOf, type Producer, type QueueJob } from '@acme/nest-queues';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fairCrash, fastStallWorker } from './fixtures/fair-queue';
import { WS_A, WS_B } from './support/database';
import { testRedis, waitFor, type TestRedis } from './support/redis';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/fair-worker.ts', import.meta.url));
const context = new ContextService();
const finished: string[] = [];

/**
 * The surviving worker: fails 'Fail' jobs. It fails stalled jobs instead of retrying them
 * (maxStalledCount 0), so the killed process's jobs never run again and only their leases
 * expiring can free their workspace's slots.
 */
@QueueProcessor(fairCrash, { worker: { ...fastStallWorker, maxStalledCount: 0 } })
class SurvivingProcessor {
  async process(payload: PayloadOf<typeof fairCrash>, job: QueueJob<typeof fairCrash>) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    if (payload.kind === 'Fail') throw new Error('fails on purpose');
    finished.push(job.id!);
  }
}

describe('fairness state after failures and a killed worker', () => {
  let redis: TestRedis;
  let admin: Redis;
  let app: INestApplicationContext;

  beforeAll(async () => {
    redis = await testRedis();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    await app?.close();
    admin?.disconnect();
    await redis?.close();
  });

  /** Every fairness key of the queue with its size (leases and reservations are sorted sets). */
  async function fairnessKeys(): Promise<Record<string, number>> {
    const keys = await admin.keys(`${redis.prefix}:${fairCrash.name}:fair:*`);
    return Object.fromEntries(
      await Promise.all(keys.map(async (key) => [key.slice(`${redis.prefix}:${fairCrash.name}:`.length), await admin.zcard(key)] as const)),
    );
  }

  it('frees the slots of a killed worker, keeps counting right through stalls and failures, and starts turns afresh once drained', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      cwd: packageDir,
      env: { ...process.env, REDIS_URL: redis.url, QUEUE_PREFIX: redis.prefix },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await waitFor(() => output.includes('ready'), { timeoutMs: 20_000, what: `the worker process to start:\n${output}` });

    // Our own producer app (no workers yet): two hanging jobs fill A's two slots in the process.
    @Module({
      imports: [ContextModule.forRoot(), QueuesModule.forRoot(redis.options()), QueuesModule.forFeature([fairCrash])],
      providers: [SurvivingProcessor],
    })
    class AppModule {}
    app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    const producer = app.get<Producer<typeof fairCrash>>(getProducerToken(fairCrash));
    const asA = <T>(fn: () => T) => context.run({ workspaceId: WS_A, actor: { kind: 'User', id: 'u1' } }, fn);
    const hung = await asA(() => producer.addBulk([{ payload: { kind: 'Hang' } }, { payload: { kind: 'Hang' } }]));
    await waitFor(() => hung.every((job) => output.includes(`started ${job.id}\n`)), { what: `both hanging jobs to start:\n${output}` });
    expect(await fairnessKeys()).toMatchObject({ [`fair:leases:${WS_A}`]: 2 });

    child.kill('SIGKILL');
    await exited;
    // More work for A (its slots are still held by the dead process until their leases expire),
    // failing jobs that retry and dead-letter, and B's work.
    const more = await asA(() => producer.addBulk([{ payload: { kind: 'Ok' } }, { payload: { kind: 'Fail' } }, { payload: { kind: 'Ok' } }]));
    const ofB = await context.run({ workspaceId: WS_B, actor: { kind: 'User', id: 'u2' } }, () =>
      producer.addBulk([{ payload: { kind: 'Ok' } }, { payload: { kind: 'Fail' } }]),
    );
    await app.get(QueueWorkers).start();
    const queue = redis.queue(fairCrash.name);
    await waitFor(
      async () => {
        const states = await Promise.all([...hung, ...more, ...ofB].map((job) => queue.getJobState(job.id!)));
        return states.every((state) => state === 'completed' || state === 'failed');
      },
      { timeoutMs: 20_000, what: 'every job to finish (the hung ones failed as stalled)' },
    );
    // A's other jobs ran once the dead process's leases expired.
    expect(finished.sort()).toEqual([more[0]!, more[2]!, ofB[0]!].map((job) => job.id).sort());
    for (const job of [...hung, more[1]!, ofB[1]!]) expect(await queue.getJobState(job.id!)).toBe('failed');

    // No slot is held and no start time is reserved: nothing leaks from the crash, stalls or failures.
    expect(Object.values(await fairnessKeys()).every((size) => size === 0)).toBe(true);
    // The queue is drained: the next job of A starts a new first round.
    const next = await asA(() => producer.add({ kind: 'Ok' }));
    expect(next.priority).toBe(1);
  });
});
