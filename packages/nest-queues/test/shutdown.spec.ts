import { Producer } from '@acme/nest-queues';
import { Redis } from 'ioredis';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slow } from './fixtures/slow-queue';
import { testRedis, waitFor, type TestRedis } from './support/redis';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));

/** A real worker process (`node --import tsx test/fixtures/worker.ts`) and what it printed. */
function spawnWorker(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: packageDir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => output,
    printed: (text: string) => waitFor(() => output.includes(text), { what: `"${text}" in worker output:\n${output}`, timeoutMs: 15_000 }),
  };
}

describe('bootstrapWorker in a real process', () => {
  let redis: TestRedis;
  let producer: Producer<typeof slow>;
  const env = () => ({ REDIS_URL: redis.url, QUEUE_PREFIX: redis.prefix });

  beforeAll(async () => {
    redis = await testRedis();
    producer = new Producer(slow, redis.queue('slow') as never);
  });
  afterAll(() => redis?.close());

  it('SIGTERM during a job: the job finishes before the process exits 0, and no new job starts', async () => {
    const worker = spawnWorker({ ...env(), SHUTDOWN_MS: '10000' });
    await worker.printed('ready');
    const job = await producer.add({ ms: 1200 });
    await worker.printed(`started ${job.id}`);
    worker.child.kill('SIGTERM');
    const late = await producer.add({ ms: 10 }); // arrives during shutdown: must wait for another worker

    expect(await worker.exited).toBe(0);
    expect(worker.output()).toContain(`finished ${job.id}`);
    expect(await redis.queue('slow').getJobState(job.id!)).toBe('completed');
    expect(await redis.queue('slow').getJobState(late.id!)).toBe('waiting');
    await redis.queue('slow').remove(late.id!);
  });

  it('SIGTERM past the deadline: the job is released, the process exits, another worker completes it', async () => {
    const first = spawnWorker({ ...env(), SHUTDOWN_MS: '300' });
    await first.printed('ready');
    const job = await producer.add({ ms: 30_000 });
    await first.printed(`started ${job.id} attempt 1`);
    const signalled = Date.now();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(5000);
    expect(first.output()).not.toContain(`finished ${job.id}`);

    // Released, not failed: back in the waiting list with no attempt used up.
    const released = await redis.queue('slow').getJob(job.id!);
    expect(await released!.getState()).toBe('waiting');
    expect(released!.attemptsMade).toBe(0);

    const second = spawnWorker({ ...env(), SHUTDOWN_MS: '5000' });
    await second.printed(`finished ${job.id}`);
    expect(second.output()).toContain(`started ${job.id} attempt 2`);
    await waitFor(async () => (await redis.queue('slow').getJobState(job.id!)) === 'completed');
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('exits 1 when Redis starts refusing its credentials while running', async () => {
    const admin = new Redis(redis.url);
    const user = `queues_fatal_${process.pid}`;
    try {
      await admin.call('ACL', 'SETUSER', user, 'on', '>secret', '~*', '&*', '+@all');
      const url = new URL(redis.url);
      url.username = user;
      url.password = 'secret';
      const worker = spawnWorker({ REDIS_URL: url.toString(), QUEUE_PREFIX: redis.prefix, SHUTDOWN_MS: '500' });
      await worker.printed('ready');
      await admin.call('ACL', 'DELUSER', user); // also drops its connections: reconnecting fails AUTH
      expect(await worker.exited).toBe(1);
      expect(worker.output()).toMatch(/Redis refused the workers: .*(WRONGPASS|NOAUTH)/);
    } finally {
      await admin.call('ACL', 'DELUSER', user).catch(() => undefined);
      admin.disconnect();
    }
  });

  it('exits 1 when Redis cannot be reached at startup', async () => {
    const worker = spawnWorker({ REDIS_URL: 'redis://127.0.0.1:1', QUEUE_PREFIX: redis.prefix, STARTUP_MS: '1000' });
    expect(await worker.exited).toBe(1);
    // The startup posture check is the first to need Redis: it fails closed, naming the deadline.
    expect(worker.output()).toMatch(/Worker failed to start: QueuesModule refuses to start.*\n.*Redis did not answer within 1000 ms/);
  });
});
