import { withTimeout } from '@acme/nest-context';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { CLOSE_TIMEOUT_MS, settlesWithin } from './close-within';
import { reconcileCrons } from './cron-registrar';
import { discoverProcessors } from './discover-processors';
import { JOB_TRACING, type JobSpans } from './job-tracing';
import { ProcessorRuntime } from './processor-runtime';
import { QueueMetrics } from './queue-metrics';
import { QueueRegistry } from './queue-registry';
import { RESOLVED_QUEUES_OPTIONS } from './queues.module-definition';
import { FatalConnectionError, WorkerStartupError } from './queues.errors';
import type { ResolvedQueuesOptions } from './resolve-queues-options';

/** What `QueueWorkers.stop` did. */
export interface WorkersStopResult {
  /** True when every active job finished before the deadline. */
  drained: boolean;
  /** Ids of jobs moved back to the waiting list because the deadline passed. */
  released: string[];
}

// Errors reconnecting cannot fix: wrong credentials or missing ACL permissions.
const FATAL_REDIS_ERROR = /NOAUTH|WRONGPASS|NOPERM|invalid (username-)?password/i;

/**
 * Runs the app's `@QueueProcessor` workers. Nothing starts on its own: `bootstrapWorker` (or the
 * `runWorkers: true` option) calls `start()`, so an HTTP app that shares modules with the worker
 * never processes jobs.
 */
@Injectable()
export class QueueWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('QueueWorkers');
  private runtimes: ProcessorRuntime[] = [];
  private starting?: Promise<void>;
  private stopping?: Promise<WorkersStopResult>;
  private readonly fatalListeners = new Set<(error: Error) => void>();
  private lastWarning = 0;

  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(RESOLVED_QUEUES_OPTIONS) private readonly options: ResolvedQueuesOptions,
    @Inject(QueueRegistry) private readonly registry: QueueRegistry,
    @Inject(QueueMetrics) private readonly metrics: QueueMetrics,
    @Inject(JOB_TRACING) private readonly tracing: JobSpans | null,
  ) {}

  /** True between a successful `start()` and `stop()`. */
  get running(): boolean {
    return this.runtimes.length > 0 && !this.stopping;
  }

  /** Names of the queues this app processes (once started). */
  get queues(): string[] {
    return this.runtimes.map((runtime) => runtime.worker.name);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.runWorkers) await this.start();
  }

  /**
   * Stops the workers before any module's `onApplicationShutdown`, so that jobs finishing meanwhile
   * can still enqueue through producers, whose queues close in that later phase.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /**
   * Starts a worker per `@QueueProcessor` and registers the `@Cron` schedulers. Idempotent.
   * Rejects with `WorkerStartupError` if Redis does not answer within `startupTimeoutMs`.
   */
  start(): Promise<void> {
    this.starting ??= this.doStart().catch((error: Error) => {
      this.starting = undefined;
      throw error;
    });
    return this.starting;
  }

  /** Calls `listener` on an error reconnecting cannot fix (`bootstrapWorker` exits non-zero on it). */
  onFatal(listener: (error: Error) => void): () => void {
    this.fatalListeners.add(listener);
    return () => this.fatalListeners.delete(listener);
  }

  /**
   * Stops fetching jobs and waits up to `timeoutMs` for active ones; those still running then are
   * released to the waiting list for another worker (retried, never lost). Idempotent.
   */
  stop(options: { timeoutMs?: number } = {}): Promise<WorkersStopResult> {
    this.stopping ??= this.doStop(options.timeoutMs ?? this.options.shutdownTimeoutMs);
    return this.stopping;
  }

  private async doStart(): Promise<void> {
    const { processors, crons } = discoverProcessors(this.discovery);
    const { connection, prefix } = this.registry.connection;
    const runtimes = processors.map((processor) => {
      this.registry.declare(processor.queue.name);
      return new ProcessorRuntime({
        definition: processor.queue,
        handler: processor.instance,
        options: processor.options,
        events: processor.events,
        connection: { connection, prefix },
        metrics: this.metrics,
        deadLetters: processor.queue.deadLetterQueue ? this.registry.get(processor.queue.deadLetterQueue) : null,
        logger: this.logger,
        tracing: this.tracing,
        onError: (error) => this.onWorkerError(error),
      });
    });
    const timeoutMs = this.options.startupTimeoutMs;
    const starting = (async () => {
      await Promise.all(runtimes.map((runtime) => runtime.connect()));
      const served = new Set(processors.map((processor) => processor.queue.name));
      await reconcileCrons(this.registry, served, crons, this.options.removeStaleCrons, this.logger);
    })();
    try {
      await withTimeout(
        starting,
        timeoutMs,
        () =>
          new WorkerStartupError(
            `Workers did not start within ${timeoutMs} ms: check that Redis is reachable at QueuesModule option "connection", or raise "startupTimeoutMs".`,
          ),
      );
    } catch (error) {
      await settlesWithin(Promise.allSettled(runtimes.map((runtime) => runtime.worker.close(true))), CLOSE_TIMEOUT_MS);
      throw error instanceof WorkerStartupError ? error : new WorkerStartupError(`Workers could not start: ${(error as Error).message}`, { cause: error });
    }
    for (const runtime of runtimes) runtime.start();
    this.runtimes = runtimes;
    this.logger.log(`Processing ${runtimes.map((r) => r.worker.name).join(', ') || 'no queues'}; ${crons.length} cron(s) scheduled.`);
  }

  private async doStop(timeoutMs: number): Promise<WorkersStopResult> {
    await this.starting?.catch(() => undefined);
    const runtimes = this.runtimes;
    if (runtimes.length === 0) return { drained: true, released: [] };
    // Stop fetching everywhere at once, then wait for the active jobs (connections stay open meanwhile).
    const deadline = Date.now() + timeoutMs;
    const drained = (await Promise.all(runtimes.map((runtime) => runtime.drain(deadline)))).every(Boolean);
    const released: string[] = [];
    if (!drained) {
      for (const runtime of runtimes) released.push(...(await runtime.releaseActive()));
      this.logger.warn(`Shutdown deadline of ${timeoutMs} ms passed: released ${released.length} active job(s) to the queue.`);
    }
    // Bounded: with Redis gone, closing would otherwise wait on ioredis' retries.
    await Promise.all(runtimes.map((runtime) => runtime.close()));
    return { drained, released };
  }

  private onWorkerError(error: Error): void {
    if (this.stopping) return; // connections closing under us
    if (FATAL_REDIS_ERROR.test(error.message)) {
      const fatal = new FatalConnectionError(
        `Redis refused the workers: ${error.message}. Check the credentials and ACL permissions in QueuesModule option "connection".`,
        { cause: error },
      );
      this.logger.error(fatal.message);
      for (const listener of this.fatalListeners) listener(fatal);
      return;
    }
    // Redis restarting makes every worker report every reconnect attempt: log at most every 5 s.
    if (Date.now() - this.lastWarning > 5000) {
      this.lastWarning = Date.now();
      this.logger.warn(`Worker error (BullMQ reconnects by itself): ${error.message}`);
    }
  }
}
