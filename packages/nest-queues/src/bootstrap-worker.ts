import { Logger, type DynamicModule, type INestApplicationContext, type LoggerService, type LogLevel, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { QueueWorkers } from './queue-workers';
import { RESOLVED_QUEUES_OPTIONS } from './queues.module-definition';
import type { ResolvedQueuesOptions } from './resolve-queues-options';

/** Options of `bootstrapWorker`. */
export interface BootstrapWorkerOptions {
  /** Nest's logger for the worker app (e.g. nestjs-pino's `Logger`, or `false`). @default Nest's console logger */
  logger?: LoggerService | LogLevel[] | false;
  /**
   * A logger the worker app itself provides, e.g. `(app) => app.get(Logger)` with nestjs-pino. Nest
   * buffers the lines logged while the app boots and writes them through it, so every line of the
   * process, startup included, goes to that logger (as `bufferLogs` + `useLogger` do for HTTP apps).
   */
  loggerFrom?: (app: INestApplicationContext) => LoggerService;
  /**
   * Signals that start a graceful shutdown; a second signal exits at once.
   * @default ['SIGTERM', 'SIGINT']
   */
  signals?: NodeJS.Signals[];
  /** Overrides the module's `shutdownTimeoutMs`: how long active jobs may finish before being released. */
  shutdownTimeoutMs?: number;
  /**
   * Exit the process when the worker stops: 0 after a graceful shutdown, 1 when it could not start
   * or hit a fatal connection error. Turn off in tests.
   * @default true
   */
  exitProcess?: boolean;
}

/** A running worker process. */
export interface WorkerProcess {
  app: INestApplicationContext;
  workers: QueueWorkers;
  /** Stops workers (finish or release active jobs), closes the app; resolves with the exit code. */
  shutdown(reason?: string): Promise<number>;
}

/**
 * Starts a worker process: boots `module` as an application context (no HTTP server), starts its
 * `@QueueProcessor` workers and `@Cron` schedulers, and handles SIGTERM with a deadline (active
 * jobs finish, or are released to another worker when it passes). Exits non-zero when Redis
 * cannot be reached at startup, could lose jobs (AOF off, eviction on: see `allowVolatileRedis`),
 * or refuses the credentials.
 *
 * `module` must import `ContextModule.forRoot()` from `@acme/nest-context`, as an HTTP app's root
 * module does: jobs restore the context they were enqueued in, and `QueuesModule` only imports
 * `ContextModule.forFeature()`. Without it startup fails with `ContextNotConfiguredError`
 * (`CONTEXT_NOT_CONFIGURED`).
 *
 * @example
 * // src/worker.ts
 * @Module({ imports: [ContextModule.forRoot(), QueuesModule.forRoot({ connection }), MailModule], providers: [EmailsProcessor] })
 * class WorkerModule {}
 *
 * await bootstrapWorker(WorkerModule, { logger: new ConsoleLogger({ json: true }) });
 */
export async function bootstrapWorker(module: Type | DynamicModule, options: BootstrapWorkerOptions = {}): Promise<WorkerProcess> {
  const logger = new Logger('bootstrapWorker');
  const exitProcess = options.exitProcess ?? true;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let app: INestApplicationContext | undefined;
  let workers: QueueWorkers;
  let shutdownTimeoutMs: number;
  try {
    app = await NestFactory.createApplicationContext(module, {
      abortOnError: false,
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
      ...(options.loggerFrom ? { bufferLogs: true } : {}),
    });
    if (options.loggerFrom) app.useLogger(options.loggerFrom(app));
    workers = app.get(QueueWorkers, { strict: false });
    shutdownTimeoutMs = options.shutdownTimeoutMs ?? app.get<symbol, ResolvedQueuesOptions>(RESOLVED_QUEUES_OPTIONS, { strict: false }).shutdownTimeoutMs;
    await workers.start();
  } catch (error) {
    Logger.flush(); // lines buffered for `loggerFrom`'s logger, which never came: write them anyway
    logger.error(`Worker failed to start: ${(error as Error).message}`);
    await app?.close().catch(() => undefined);
    if (exitProcess) process.exit(1);
    throw error;
  }
  const started = app;

  let stopping: Promise<number> | undefined;
  const shutdown = (reason: string, code: number): Promise<number> => {
    stopping ??= (async () => {
      logger.log(`${reason}: stopping workers`);
      if (exitProcess) {
        // Belt and braces: if closing hangs (Redis gone), leave anyway; unreleased jobs stall and are retried.
        setTimeout(() => process.exit(code || 1), shutdownTimeoutMs + 10_000).unref();
      }
      const { released } = await workers.stop({ timeoutMs: shutdownTimeoutMs });
      if (released.length) logger.warn(`Released ${released.length} unfinished job(s) to other workers: ${released.join(', ')}`);
      await started.close().catch((error: Error) => logger.error(`Closing the app failed: ${error.message}`));
      for (const signal of signals) process.off(signal, onSignal);
      if (exitProcess) process.exit(code);
      return code;
    })();
    return stopping;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting now; active jobs will be retried after their lock expires.`);
      if (exitProcess) process.exit(1);
      return;
    }
    void shutdown(signal, 0);
  };
  for (const signal of signals) process.on(signal, onSignal);
  workers.onFatal((error) => void shutdown(`Fatal: ${error.message}`, 1));

  return { app: started, workers, shutdown: (reason = 'shutdown requested') => shutdown(reason, 0) };
}
