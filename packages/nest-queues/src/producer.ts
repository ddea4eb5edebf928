import { ContextService, toEnvelope, uuidv7, type ContextEnvelope } from '@acme/nest-context';
import type { JobsOptions, Queue } from 'bullmq';
import { assertNoPriority, FairTurns } from './fairness';
import type { JobTraceContext, TraceCapture } from './job-tracing';
import type { PayloadInputOf, PayloadOf, QueueDefinition } from './queue-definition';
import type { QueueJob, QueueJobData } from './queue-job';
import { parsePayload } from './standard-schema';

/** Per-job options of `add`: BullMQ's job options (`jobId` deduplicates) plus the job name. */
export interface AddJobOptions extends Omit<JobsOptions, 'repeat' | 'repeatJobKey' | 'prevMillis'> {
  /**
   * BullMQ job name, shown in dashboards; the processor receives it as `job.name`.
   * @default the queue name
   */
  name?: string;
}

/** One entry of `addBulk`. */
export interface BulkJob<Q extends QueueDefinition> {
  payload: PayloadInputOf<Q>;
  options?: AddJobOptions;
}

/** Options of `addForEachWorkspace`. */
export interface FanOutOptions extends Omit<AddJobOptions, 'jobId'> {
  /**
   * Deduplication key of this fan-out: job ids are `<key>.<workspaceId>`, so a retried cron run
   * does not enqueue a workspace twice. Pass your own to deduplicate across runs (e.g. a date).
   * @default the current request id (a cron run keeps it across retries); none outside a context
   */
  key?: string;
  /**
   * Jobs per `addBulk` round trip.
   * @default 500
   */
  batchSize?: number;
}

/**
 * Enqueues jobs of one queue: validates each payload against the queue's schema (an invalid
 * payload throws `QueuePayloadError` here, so it never becomes a poisoned job) and attaches the
 * current request context, which the worker restores around the job.
 * Inject it with `@InjectProducer(queue)`.
 */
export class Producer<Q extends QueueDefinition = QueueDefinition> {
  private readonly context = new ContextService();
  /** Turns of a fair queue (`defineQueue({ fairness })`), null for a FIFO queue. */
  private readonly turns: FairTurns | null;

  constructor(
    /** The queue definition this producer enqueues to. */
    readonly definition: Q,
    /** The underlying BullMQ queue (also injectable with @nestjs/bullmq's `@InjectQueue(name)`). */
    readonly queue: Queue<QueueJobData<PayloadOf<Q>>>,
    /** Reads the active span's trace context (QueuesModule passes it when `@opentelemetry/api` is installed). */
    private readonly tracing: TraceCapture | null = null,
  ) {
    this.turns = definition.fairness ? new FairTurns(queue) : null;
  }

  /**
   * Validates `payload` and enqueues one job carrying the current context. A `jobId` makes the
   * add idempotent: BullMQ ignores a second job with the id of one that still exists.
   */
  add(payload: PayloadInputOf<Q>, options: AddJobOptions = {}): Promise<QueueJob<Q>> {
    // Not async, on purpose: this is the hot path, and zod validates synchronously.
    const context = this.context.captureEnvelope();
    const trace = this.tracing?.capture();
    let value: PayloadOf<Q> | Promise<PayloadOf<Q>>;
    try {
      value = parsePayload(this.definition.name, this.definition.payload, payload);
      if (this.turns) assertNoPriority(this.definition.name, options.priority);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const { name = this.definition.name, ...jobOptions } = options;
    const turns = this.turns;
    const send = (parsed: PayloadOf<Q>) => {
      const data = withTrace({ payload: parsed, context }, trace);
      if (!turns) return this.queue.add(name, data, jobOptions) as Promise<QueueJob<Q>>;
      return turns.reserve([context?.workspaceId]).then(([priority]) => this.queue.add(name, data, { ...jobOptions, priority }) as Promise<QueueJob<Q>>);
    };
    return value instanceof Promise ? value.then(send) : send(value);
  }

  /**
   * Validates every payload first, then enqueues them in one round trip: one invalid payload
   * rejects the whole batch and nothing is enqueued.
   */
  async addBulk(jobs: readonly BulkJob<Q>[]): Promise<QueueJob<Q>[]> {
    const context = this.context.captureEnvelope();
    return this.enqueue(jobs, () => context);
  }

  /**
   * Fan-out for crons that must run for every tenant: enqueues one job per workspace, each
   * carrying a context with that workspace (request id and actor of the current context), so
   * the processor's `tenantDb` and audit see that workspace. Job ids `<key>.<workspaceId>` make
   * a retried run idempotent. Returns how many jobs were enqueued (duplicates included).
   *
   * @example
   * @Cron(nightly, { name: 'digest-fan-out', pattern: '0 6 * * *', tz: 'Europe/Paris', payload: {} })
   * @QueueProcessor(nightly)
   * class DigestFanOut {
   *   process() { return this.digests.addForEachWorkspace(this.workspaces.activeIds(), { period: 'Daily' }); }
   * }
   */
  async addForEachWorkspace(
    workspaceIds: Iterable<string> | AsyncIterable<string>,
    payload: PayloadInputOf<Q> | ((workspaceId: string) => PayloadInputOf<Q> | Promise<PayloadInputOf<Q>>),
    options: FanOutOptions = {},
  ): Promise<number> {
    const { key, batchSize = 500, ...jobOptions } = options;
    const current = this.context.get();
    const dedupKey = (key ?? current?.requestId)?.replaceAll(':', '.');
    const base = {
      requestId: current?.requestId ?? uuidv7(),
      actor: current?.actor ?? ({ kind: 'System', id: null } as const),
    };
    let batch: { workspaceId: string; job: BulkJob<Q> }[] = [];
    let count = 0;
    const flush = async () => {
      const envelopes = new Map(batch.map(({ workspaceId }) => [workspaceId, toEnvelope({ ...base, workspaceId })]));
      const workspaces = batch.map((entry) => entry.workspaceId);
      await this.enqueue(
        batch.map((entry) => entry.job),
        (index) => envelopes.get(workspaces[index]!)!,
      );
      count += batch.length;
      batch = [];
    };
    for await (const workspaceId of workspaceIds) {
      const value = typeof payload === 'function' ? await (payload as (id: string) => unknown)(workspaceId) : payload;
      const jobId = dedupKey ? `${dedupKey}.${workspaceId}` : undefined;
      batch.push({ workspaceId, job: { payload: value as PayloadInputOf<Q>, options: { ...jobOptions, ...(jobId ? { jobId } : {}) } } });
      if (batch.length >= batchSize) await flush();
    }
    if (batch.length) await flush();
    return count;
  }

  private async enqueue(jobs: readonly BulkJob<Q>[], contextAt: (index: number) => ContextEnvelope | null): Promise<QueueJob<Q>[]> {
    const { name: queueName, payload: schema } = this.definition;
    const trace = this.tracing?.capture(); // before the first await: the caller's span
    const values = await Promise.all(jobs.map(async (job) => parsePayload(queueName, schema, job.payload)));
    if (this.turns) for (const job of jobs) assertNoPriority(queueName, job.options?.priority);
    // One round trip for the whole batch: the k-th job of a workspace gets its k-th turn.
    const priorities = this.turns ? await this.turns.reserve(jobs.map((_, index) => contextAt(index)?.workspaceId)) : null;
    const bulk = jobs.map((job, index) => {
      const { name = queueName, ...options } = job.options ?? {};
      const opts = priorities ? { ...options, priority: priorities[index] } : options;
      return { name, data: withTrace({ payload: values[index], context: contextAt(index) }, trace), opts };
    });
    return this.queue.addBulk(bulk) as Promise<QueueJob<Q>[]>;
  }
}

/** Job data with the trace context when there is one (no key at all otherwise). */
function withTrace<T extends object>(data: T, trace: JobTraceContext | undefined): T & { trace?: JobTraceContext } {
  return trace ? { ...data, trace } : data;
}
