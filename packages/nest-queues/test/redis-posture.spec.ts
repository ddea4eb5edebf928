import { ContextModule, RedisDurabilityError } from '@acme/nest-context';
import { bootstrapWorker, defineQueue, getProducerToken, QueueProcessor, QueuesModule, type Producer, type QueuesModuleOptions } from '@acme/nest-queues';
import { freePort, startRedis, type StartedService, type StartRedisOptions } from '@acme/nest-testing';
import { Module, type INestApplicationContext, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Registry, type Gauge } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readPosture, type PostureClient } from '../src/redis-posture';

const tasks = defineQueue({ name: 'tasks', payload: z.object({ n: z.number() }) });
const processed: number[] = [];

@QueueProcessor(tasks)
class TasksProcessor {
  async process(payload: { n: number }) {
    processed.push(payload.n);
  }
}

const servers: StartedService[] = [];
async function redisWith(options: StartRedisOptions): Promise<string> {
  const server = await startRedis({ strategies: ['embedded'], ...options });
  servers.push(server);
  return server.url;
}

/** Captures what the app logs, to count the warning. */
class Lines implements LoggerService {
  readonly lines: string[] = [];
  log() {}
  error() {}
  warn(message: unknown, context?: string) {
    this.lines.push(`${context}: ${String(message)}`);
  }
}

const options = (url: string, overrides: Partial<QueuesModuleOptions> = {}): QueuesModuleOptions => ({
  connection: { url },
  prefix: 'posture',
  startupTimeoutMs: 3000,
  shutdownTimeoutMs: 1000,
  metrics: false,
  ...overrides,
});

async function producerApp(rootOptions: QueuesModuleOptions, logger: LoggerService | false = false): Promise<INestApplicationContext> {
  @Module({ imports: [ContextModule.forRoot(), QueuesModule.forRoot(rootOptions), QueuesModule.forFeature([tasks])] })
  class ApiModule {}
  return NestFactory.createApplicationContext(ApiModule, { logger, abortOnError: false });
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
});

describe('QueuesModule Redis posture check at startup', () => {
  it('AOF off: a producer app refuses to start with CONTEXT_REDIS_NOT_DURABLE, naming the setting, the fix and allowVolatileRedis', async () => {
    const url = await redisWith({ persistence: 'none' });
    const error = await refusal(producerApp(options(url)));
    expect(error).toBeInstanceOf(RedisDurabilityError);
    const refused = error as RedisDurabilityError;
    expect(refused.code).toBe('CONTEXT_REDIS_NOT_DURABLE');
    expect(refused.durability).toMatchObject({ aof: false, durable: false });
    expect(refused.message).toContain('QueuesModule refuses to start');
    expect(refused.message).toContain('redis-cli CONFIG SET appendonly yes');
    expect(refused.message).toContain('QueuesModule option "allowVolatileRedis" to true');
  });

  it('AOF off: a worker refuses to start and processes nothing', async () => {
    const url = await redisWith({ persistence: 'none' });
    const waiting = new Queue(tasks.name, { connection: { url }, prefix: 'posture' });
    try {
      await waiting.add('job', { payload: { n: 1 }, context: null });
      @Module({ imports: [ContextModule.forRoot(), QueuesModule.forRoot(options(url))], providers: [TasksProcessor] })
      class WorkerModule {}
      const error = await refusal(bootstrapWorker(WorkerModule, { exitProcess: false, signals: [], logger: false }));
      expect((error as RedisDurabilityError).code).toBe('CONTEXT_REDIS_NOT_DURABLE');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(processed).toEqual([]);
      expect(await waiting.getWaitingCount()).toBe(1);
    } finally {
      await waiting.close();
    }
  });

  it('an evicting maxmemory-policy (allkeys-lru), AOF on: refused', async () => {
    const url = await redisWith({ persistence: 'aof', args: ['--maxmemory-policy', 'allkeys-lru'] });
    const error = (await refusal(producerApp(options(url)))) as RedisDurabilityError;
    expect(error.code).toBe('CONTEXT_REDIS_NOT_DURABLE');
    expect(error.message).toContain('maxmemory-policy is allkeys-lru');
  });

  it('Redis unreachable within startupTimeoutMs: refused (fail closed), saying it did not answer', async () => {
    const error = (await refusal(producerApp(options(`redis://127.0.0.1:${await freePort()}`, { startupTimeoutMs: 500 })))) as RedisDurabilityError;
    expect(error.code).toBe('CONTEXT_REDIS_NOT_DURABLE');
    expect(error.message).toContain('Redis did not answer within 500 ms');
  });

  it('AOF off with allowVolatileRedis: producers and workers start, one warning, acme_queues_redis_volatile is 1', async () => {
    const url = await redisWith({ persistence: 'none' });
    const registry = new Registry();
    const logger = new Lines();
    @Module({
      imports: [
        ContextModule.forRoot(),
        QueuesModule.forRoot(options(url, { allowVolatileRedis: true, runWorkers: true, metrics: { registry } })),
        QueuesModule.forFeature([tasks]),
      ],
      providers: [TasksProcessor],
    })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger, abortOnError: false });
    try {
      await app.get<symbol, Producer<typeof tasks>>(getProducerToken(tasks)).add({ n: 2 });
      await waitFor(() => processed.includes(2));
      const warnings = logger.lines.filter((line) => line.includes('volatile Redis'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^QueuesModule: .*allowVolatileRedis.*appendonly is off/);
      expect(await gauge(registry)).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('AOF on and noeviction: starts without a warning, the gauge is 0; a user-owned ioredis connection stays open', async () => {
    const url = await redisWith({ persistence: 'aof' });
    const connection = new Redis(url, { maxRetriesPerRequest: null });
    const registry = new Registry();
    const logger = new Lines();
    const app = await producerApp(options(url, { connection, metrics: { registry } }), logger);
    try {
      await app.get<symbol, Producer<typeof tasks>>(getProducerToken(tasks)).add({ n: 3 });
      expect(logger.lines.filter((line) => line.includes('volatile'))).toEqual([]);
      expect(await gauge(registry)).toBe(0);
      expect(await connection.ping()).toBe('PONG');
    } finally {
      await app.close();
      connection.disconnect();
    }
  });

  it('Redis Cluster: every master is checked; one volatile master makes the cluster volatile, named in the problem', async () => {
    const [durableUrl, volatileUrl] = await Promise.all([redisWith({ persistence: 'aof' }), redisWith({ persistence: 'none' })]);
    const masters = [new Redis(durableUrl), new Redis(volatileUrl)];
    try {
      const cluster: PostureClient = {
        isCluster: true,
        nodes: () => masters,
        info: () => Promise.reject(new Error('a cluster answers INFO from one node only')),
      };
      const reading = await readPosture(cluster);
      const { port } = new URL(volatileUrl);
      expect(reading).toMatchObject({ aof: false, appendfsync: 'everysec', maxmemoryPolicy: 'noeviction', durable: false });
      expect(reading.problems).toEqual([expect.stringMatching(new RegExp(`^master 127\\.0\\.0\\.1:${port}: appendonly is off`))]);
      expect(await readPosture({ ...cluster, nodes: () => [masters[0]!] })).toMatchObject({ durable: true, problems: [] });
    } finally {
      for (const master of masters) master.disconnect();
    }
  });
});

async function gauge(registry: Registry): Promise<number | undefined> {
  const { values } = await (registry.getSingleMetric('acme_queues_redis_volatile') as Gauge).get();
  return values[0]?.value;
}

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
