import { ContextModule } from '@acme/nest-context';
import {
  defineQueue,
  InjectProducer,
  Producer,
  QUEUES_MODULE_OPTIONS,
  QueueMetrics,
  QueuesModule,
  QueuesOptionsError,
  QueueWorkers,
  QueueProcessor,
  type PayloadOf,
  type QueuesModuleOptions,
} from '@acme/nest-queues';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { testRedis, waitFor, type TestRedis } from './support/redis';

const notes = defineQueue({ name: 'notes', payload: z.object({ text: z.string() }) });

@Injectable()
class NotesService {
  constructor(
    @InjectProducer(notes) readonly producer: Producer<typeof notes>,
    @InjectQueue('notes') readonly queue: Queue,
  ) {}
}

@Module({ imports: [QueuesModule.forFeature([notes])], providers: [NotesService], exports: [NotesService] })
class NotesModule {}

const boot = async (root: DynamicModule, ...imports: unknown[]) => {
  @Module({ imports: [ContextModule.forRoot(), root, ...(imports as never[])] })
  class AppModule {}
  return NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
};

describe('QueuesModule options', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await testRedis();
  });
  afterAll(() => redis?.close());

  it.each([
    [{}, 'connection'],
    [{ connection: { url: 42 } }, 'connection.url'],
    [{ connection: { url: ' ' } }, 'connection.url'],
    [{ startupTimeoutMs: Number.NaN }, 'startupTimeoutMs'],
    [{ metrics: { buckets: [] } }, 'metrics.buckets'],
    [{ prefix: 'a:b' }, 'prefix'],
    [{ runWorkers: 'yes' }, 'runWorkers'],
    [{ shutdownTimeoutMs: -1 }, 'shutdownTimeoutMs'],
    [{ allowVolatileRedis: 'true' }, 'allowVolatileRedis'],
    [{ metrics: 'on' }, 'metrics'],
    [{ metrics: { registry: {} } }, 'metrics.registry'],
    [{ metrics: { prefix: 'bad-prefix' } }, 'metrics.prefix'],
    [{ metrics: { scrapeTimeoutMs: 0 } }, 'metrics.scrapeTimeoutMs'],
  ])('rejects %j at bootstrap, naming "%s"', async (overrides, option) => {
    const options = { ...redis.options(), ...overrides } as QueuesModuleOptions;
    if (!('connection' in overrides) && option === 'connection') delete (options as Partial<QueuesModuleOptions>).connection;
    const failure = boot(QueuesModule.forRoot(options));
    await expect(failure).rejects.toBeInstanceOf(QueuesOptionsError);
    await expect(failure).rejects.toThrow(`option "${option}"`);
  });

  it('forRootAsync resolves options from a factory, validates them, and stays global for forFeature', async () => {
    const app = await boot(
      QueuesModule.forRootAsync({ isGlobal: true, useFactory: async () => redis.options({ prefix: `${redis.prefix}-async` }) }),
      NotesModule,
    );
    try {
      const service = app.get(NotesService);
      expect(service.producer).toBeInstanceOf(Producer);
      // The raw BullMQ queue is the one @nestjs/bullmq registered: same instance as the producer's.
      expect(service.queue).toBe(service.producer.queue);
      expect(service.queue.opts.prefix).toBe(`${redis.prefix}-async`);
      expect(service.queue.defaultJobOptions).toMatchObject(notes.defaults);
      const job = await service.producer.add({ text: 'hello' });
      expect(job.data).toEqual({ payload: { text: 'hello' }, context: null });
      expect(app.get(QUEUES_MODULE_OPTIONS)).toMatchObject({ prefix: `${redis.prefix}-async` });
      expect(app.get(QueueWorkers).running).toBe(false); // no runWorkers, no bootstrapWorker: no workers
      expect(app.get(QueueMetrics).enabled).toBe(false); // metrics: false
    } finally {
      await app.close();
    }

    const invalid = boot(QueuesModule.forRootAsync({ useFactory: () => ({ connection: null }) as never }));
    await expect(invalid).rejects.toThrow(/option "connection" is required/);
  });

  it('isGlobal: false keeps the services to the importing module', async () => {
    @Injectable()
    class UsesWorkers {
      constructor(@Inject(QueueWorkers) readonly workers: QueueWorkers) {}
    }
    @Module({ imports: [ContextModule.forRoot(), QueuesModule.forRoot({ ...redis.options(), isGlobal: false })], providers: [UsesWorkers] })
    class Local {}
    const app = await NestFactory.createApplicationContext(Local, { logger: false, abortOnError: false });
    try {
      expect(app.get(UsesWorkers).workers).toBeInstanceOf(QueueWorkers);
    } finally {
      await app.close();
    }
  });

  it('takes an ioredis instance as the connection: producers and workers use it', async () => {
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const processed: string[] = [];
    @QueueProcessor(notes)
    class NotesProcessor {
      process(payload: PayloadOf<typeof notes>) {
        processed.push(payload.text);
      }
    }
    const app = await boot(QueuesModule.forRoot(redis.options({ connection, prefix: `${redis.prefix}-instance`, runWorkers: true })), NotesModule, {
      module: class ProcessorModule {},
      providers: [NotesProcessor],
    });
    try {
      await app.get(NotesService).producer.add({ text: 'over an instance' });
      await waitFor(() => processed.length === 1, { what: 'the job processed' });
      expect(processed).toEqual(['over an instance']);
    } finally {
      await app.close();
      connection.disconnect();
    }
  });

  it('metrics default to on when prom-client is installed', async () => {
    const app = await boot(QueuesModule.forRoot({ ...redis.options(), metrics: undefined }));
    try {
      expect(app.get(QueueMetrics).enabled).toBe(true);
    } finally {
      await app.close();
    }
  });
});
