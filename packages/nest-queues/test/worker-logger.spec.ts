import { ContextModule } from '@acme/nest-context';
import { bootstrapWorker, defineQueue, QueueProcessor, QueuesModule, type WorkerProcess } from '@acme/nest-queues';
import { Injectable, Module, type LoggerService } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { testRedis, type TestRedis } from './support/redis';

const pings = defineQueue({ name: 'pings', payload: z.object({}) });

@QueueProcessor(pings)
class PingProcessor {
  async process() {
    return 'pong';
  }
}

/** What nestjs-pino's Logger is to a real worker: a logger provided by the app itself. */
@Injectable()
class RecordingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown, context?: string) {
    this.lines.push(`${context}: ${String(message)}`);
  }
  error = this.log;
  warn = this.log;
  debug = this.log;
  verbose = this.log;
}

describe('bootstrapWorker loggerFrom', () => {
  let redis: TestRedis;
  let worker: WorkerProcess | undefined;
  beforeAll(async () => {
    redis = await testRedis();
  });
  afterAll(async () => {
    await worker?.shutdown();
    await redis?.close();
  });

  it('sends every line of the worker, from the first one of its startup, to the logger the app provides', async () => {
    @Module({ imports: [ContextModule.forRoot(), QueuesModule.forRoot(redis.options())], providers: [PingProcessor, RecordingLogger] })
    class WorkerModule {}
    worker = await bootstrapWorker(WorkerModule, { exitProcess: false, signals: [], loggerFrom: (app) => app.get(RecordingLogger) });
    const { lines } = worker.app.get(RecordingLogger);
    // Logged while Nest built the app, before the logger existed: buffered, then written through it.
    expect(lines.some((line) => line.startsWith('InstanceLoader: '))).toBe(true);
    // And what the workers log once they run.
    expect(lines).toContain('QueueWorkers: Processing pings; 0 cron(s) scheduled.');
  });
});
