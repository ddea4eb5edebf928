import { ContextService, fromEnvelope, type RequestContext } from '@acme/nest-context';
import type { Logger } from '@nestjs/common';
import { UnrecoverableError, Worker, type ConnectionOptions, type Job, type Queue } from 'bullmq';
import { isFinalFailure, writeDeadLetter } from './dead-letter';
import type { QueueEventName } from './on-queue-event.decorator';
import type { QueueHandler, QueueProcessorOptions } from './queue-processor.decorator';
import type { QueueDefinition } from './queue-definition';
import { isQueueJobData, type QueueJobData } from './queue-job';
import type { QueueMetrics } from './queue-metrics';
import { ForeignJobError, JobContextError } from './queues.errors';

type EventHandler = (...args: unknown[]) => unknown;

/** Everything one processor's worker needs. */
export interface ProcessorRuntimeArgs {
  definition: QueueDefinition;
  handler: QueueHandler;
  options: QueueProcessorOptions;
  events: ReadonlyMap<QueueEventName, readonly EventHandler[]>;
  connection: { connection: ConnectionOptions; prefix: string };
  metrics: QueueMetrics;
  /** The dead-letter queue, or null when the queue has dead-lettering off. */
  deadLetters: Queue | null;
  logger: Logger;
  onError(error: Error): void;
}

/**
 * The BullMQ worker of one `@QueueProcessor`: restores the job's context around `process` and
 * event handlers, records metrics, dead-letters exhausted jobs, and can release its active jobs
 * back to the queue when a shutdown deadline passes.
 */
export class ProcessorRuntime {
  readonly worker: Worker<QueueJobData>;
  private readonly context = new ContextService();
  private readonly active = new Map<string, { job: Job; token: string | undefined }>();
  private readonly pending = new Set<Promise<void>>();
  private readonly queueName: string;

  constructor(private readonly args: ProcessorRuntimeArgs) {
    const { definition, options, connection } = args;
    this.queueName = definition.name;
    this.worker = new Worker<QueueJobData>(definition.name, (job, token) => this.process(job, token), {
      ...options.worker,
      ...connection,
      concurrency: options.concurrency ?? definition.concurrency,
      ...((options.limiter ?? definition.limiter) ? { limiter: options.limiter ?? definition.limiter } : {}),
      autorun: false,
    });
    this.worker.on('failed', (job, error) => this.onFailed(job, error));
    this.worker.on('error', (error) => args.onError(error));
    // Listen only when someone handles the event: no per-job cost otherwise.
    if (args.events.has('completed')) this.worker.on('completed', (job, result) => this.emit('completed', job, result));
    if (args.events.has('active')) this.worker.on('active', (job) => this.emit('active', job));
    if (args.events.has('progress')) this.worker.on('progress', (job, progress) => this.emit('progress', job, progress));
  }

  /** Jobs this worker is running right now. */
  get activeJobIds(): string[] {
    return [...this.active.keys()];
  }

  private async process(job: Job<QueueJobData>, token: string | undefined): Promise<unknown> {
    const id = job.id!;
    this.active.set(id, { job, token });
    const started = performance.now();
    try {
      const context = this.contextOf(job);
      const result = await this.context.run(context, () => this.args.handler.process(job.data.payload, job as never));
      this.args.metrics.completed(this.queueName, (performance.now() - started) / 1000);
      return result;
    } catch (error) {
      this.args.metrics.attemptFailed(this.queueName, (performance.now() - started) / 1000);
      throw error;
    } finally {
      this.active.delete(id);
    }
  }

  /** The context a job runs in: the one it was enqueued in, or a fresh one acting as the job. */
  private contextOf(job: Job): RequestContext {
    const data: unknown = job.data;
    if (!isQueueJobData(data)) throw new UnrecoverableError(`[QUEUES_FOREIGN_JOB] ${new ForeignJobError(this.queueName, job.id).message}`);
    if (data.context === null) {
      // Crons and jobs enqueued outside any request: a request id stable across retries.
      return { requestId: `job:${this.queueName}:${job.id}`, workspaceId: null, actor: { kind: 'Job', id: job.id ?? null } };
    }
    try {
      return fromEnvelope(data.context);
    } catch (error) {
      // A corrupt envelope will not get better on retry; never run the job without its tenant.
      throw new UnrecoverableError(`[QUEUES_INVALID_CONTEXT] ${new JobContextError(this.queueName, job.id, (error as Error).message).message}`);
    }
  }

  private onFailed(job: Job | undefined, error: Error): void {
    if (!job) return; // a stalled job removed by removeOnFail: nothing left to copy
    if (!isFinalFailure(job, error)) {
      this.args.metrics.retried(this.queueName);
      this.emit('failed', job, error);
      return;
    }
    this.args.metrics.failed(this.queueName);
    this.emit('failed', job, error);
    const deadLetters = this.args.deadLetters;
    const work = (async () => {
      if (deadLetters) {
        await writeDeadLetter(deadLetters, job, error);
        this.args.metrics.deadLettered(this.queueName);
      }
      this.emit('exhausted', job, error);
    })()
      .catch((cause: Error) =>
        this.args.logger.error(`Queue "${this.queueName}": could not dead-letter job ${job.id} (it stays in the failed set): ${cause.message}`),
      )
      .finally(() => this.pending.delete(work));
    this.pending.add(work);
  }

  private emit(event: QueueEventName, job: Job, ...rest: unknown[]): void {
    const handlers = this.args.events.get(event);
    if (!handlers) return;
    let context: RequestContext | undefined;
    try {
      context = this.contextOf(job);
    } catch {
      context = undefined; // a foreign or corrupt job: still tell the handler, without a context
    }
    for (const handler of handlers) {
      const call = () => handler.call(this.args.handler, job, ...rest);
      Promise.resolve()
        .then(() => (context ? this.context.run(context, call) : call()))
        .catch((error: Error) => this.args.logger.error(`@OnQueueEvent('${event}') of "${this.queueName}" threw: ${error.message}`));
    }
  }

  /** Resolves once the worker's Redis connections are ready (it does not fetch jobs yet). */
  connect(): Promise<void> {
    return this.worker.waitUntilReady();
  }

  /** Starts fetching jobs. */
  start(): void {
    this.worker.run().catch((error: Error) => this.args.onError(error));
  }

  /** Waits for dead letters being written (called on shutdown). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  /**
   * Moves every job this worker is still running back to the waiting list (the lock token proves
   * it is still ours), so another worker picks it up now instead of after the stall timeout.
   */
  async releaseActive(): Promise<string[]> {
    const released: string[] = [];
    await Promise.all(
      [...this.active.values()].map(async ({ job, token }) => {
        try {
          await job.moveToWait(token);
          released.push(job.id!);
        } catch (error) {
          this.args.logger.warn(`Queue "${this.queueName}": job ${job.id} not released (${(error as Error).message}); it will be retried once its lock expires.`);
        }
      }),
    );
    return released;
  }
}
