import { createRedisNamespace } from '@acme/nest-testing';
import type { QueuesModuleOptions } from '@acme/nest-queues';
import { Queue } from 'bullmq';

export interface TestRedis {
  url: string;
  /** BullMQ prefix of this test file's own: files share one Redis server and run in parallel. */
  prefix: string;
  /** QueuesModule options on this namespace (quiet, short timeouts); `overrides` win. */
  options(overrides?: Partial<QueuesModuleOptions>): QueuesModuleOptions;
  /** A raw BullMQ queue handle in this namespace, closed by `close()`. */
  queue(name: string): Queue;
  close(): Promise<void>;
}

export async function testRedis(): Promise<TestRedis> {
  const { url, prefix } = await createRedisNamespace({ prefix: 'queues' });
  const queues: Queue[] = [];
  return {
    url,
    prefix,
    options: (overrides = {}) => ({ connection: { url }, prefix, metrics: false, startupTimeoutMs: 5000, shutdownTimeoutMs: 2000, ...overrides }),
    queue(name) {
      const queue = new Queue(name, { connection: { url }, prefix });
      queues.push(queue);
      return queue;
    },
    async close() {
      await Promise.allSettled(queues.map((queue) => queue.close()));
    },
  };
}

/** Polls `check` until it returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(check: () => T | Promise<T>, { timeoutMs = 10_000, intervalMs = 25, what = 'condition' } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
