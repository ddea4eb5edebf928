import { ContextService, fromEnvelope, withTimeout, type RequestContext } from '@acme/nest-context';
import type { Logger } from '@nestjs/common';
import { UnrecoverableError, Worker, type ConnectionOptions, type Job, type Queue } from 'bullmq';
import { CLOSE_TIMEOUT_MS, closeQueue, settlesWithin } from './close-within';
import { isFinalFailure, writeDeadLetter } from './dead-letter';
import { FairGate } from './fairness';
import type { JobSpans } from './job-tracing';
import type { QueueEventName } from './on-queue-event.decorator';
import type { QueueHandler, QueueProcessorOptions } from './queue-processor.decorator';
import type { QueueDefinition } from './queue-definition';
import { isQueueJobData, type QueueJobData } from './queue-job';
import type { QueueMetrics } from './queue-metrics';
import { ForeignJobError, JobContextError, RedisUnreachableError } from './queues.errors';

type EventHandler = (...args: unknown[]) => unknown;

/** How long an idle worker's close() may take before its connections count as what it waits for. */
const IDLE_CLOSE_GRACE_MS = 1000;

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
  /** Processing spans (`@opentelemetry/api` installed), or null. */
  tracing: JobSpans | null;
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
  private readonly idleListeners = new Set<() => void>();
  private closing?: Promise<void>;
  private readonly queueName: string;
  /** Per-workspace cap and rate of a fair queue, or null. */
  private readonly gate: FairGate | null;

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
    // A slot is leased for as long as BullMQ's lock on the job: a crashed worker frees both together.
    const fairness = definition.fairness;
    this.gate = FairGate.needed(fairness) ? new FairGate(this.worker, fairness, options.worker?.lockDuration ?? 30_000, args.logger) : null;
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
    // Over its workspace's cap or rate, the job goes back to the delayed set and this throws DelayedError.
    const lease = this.gate ? await this.gate.admit(job, token) : null;
    this.active.set(id, { job, token });
    const started = performance.now();
    try {
      const context = this.contextOf(job);
      const run = async () => this.context.run(context, () => this.args.handler.process(job.data.payload, job as never));
      const tracing = this.args.tracing;
      const result = await (tracing ? tracing.process(this.queueName, job, job.data.trace, run) : run());
      this.args.metrics.completed(this.queueName, (performance.now() - started) / 1000);
      return result;
    } catch (error) {
      this.args.metrics.attemptFailed(this.queueName, (performance.now() - started) / 1000);
      throw error;
    } finally {
      await lease?.release();
      this.active.delete(id);
      if (this.active.size === 0) for (const listener of this.idleListeners) listener();
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

  /**
   * Stops fetching jobs and waits, until `deadline` (epoch ms), for the active ones to finish.
   * Resolves true when none is left running. Waits on the jobs, not on the connections: with Redis
   * gone, BullMQ's `close()` never resolves, and an idle worker must not wait out the deadline.
   */
  async drain(deadline: number): Promise<boolean> {
    this.closing ??= this.worker.close(); // stops fetching at once, then waits for active jobs
    for (;;) {
      const remaining = Math.max(deadline - Date.now(), 0);
      if (this.active.size === 0) {
        // A job fetched just before close() may not have started yet: on a reachable Redis close()
        // waits for it, so give close() a moment and look again.
        if ((await settlesWithin(this.closing, Math.min(remaining, IDLE_CLOSE_GRACE_MS))) || this.active.size === 0) return true;
        continue;
      }
      if (remaining === 0) return false;
      await settlesWithin(Promise.race([this.closing, this.whenIdle()]), remaining);
    }
  }

  private whenIdle(): Promise<void> {
    return new Promise<void>((resolve) => {
      const listener = () => {
        this.idleListeners.delete(listener);
        resolve();
      };
      this.idleListeners.add(listener);
    });
  }

  /**
   * Closes the worker's connections, dropping them when Redis does not answer, then waits (as
   * long) for dead letters being written. Call after `drain` (and `releaseActive`).
   */
  async close(): Promise<void> {
    await closeQueue(this.worker);
    if (!(await settlesWithin(Promise.allSettled([...this.pending]), CLOSE_TIMEOUT_MS))) {
      this.args.logger.warn(
        `Queue "${this.queueName}": dead letters still being written at shutdown were abandoned (Redis did not answer); those jobs stay in the failed set.`,
      );
    }
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
          await withTimeout(job.moveToWait(token), CLOSE_TIMEOUT_MS, () => new RedisUnreachableError(`Redis did not answer within ${CLOSE_TIMEOUT_MS} ms`));
          released.push(job.id!);
        } catch (error) {
          this.args.logger.warn(
            `Queue "${this.queueName}": job ${job.id} not released (${(error as Error).message}); it will be retried once its lock expires.`,
          );
        }
      }),
    );
    return released;
  }
}
