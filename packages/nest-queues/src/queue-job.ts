import type { ContextEnvelope } from '@acme/nest-context';
import type { Job } from 'bullmq';
import type { JobTraceContext } from './job-tracing';
import type { PayloadOf, QueueDefinition } from './queue-definition';

/**
 * What a Producer stores as BullMQ job data: the validated payload and the request context
 * it was enqueued in, so the worker can restore it.
 */
export interface QueueJobData<T = unknown> {
  readonly payload: T;
  /** The enqueuing request's context (`ContextService.captureEnvelope()`), or null outside one. */
  readonly context: ContextEnvelope | null;
  /** Set on jobs a `@Cron` scheduler created: the cron's name. Also marks schedulers this package owns. */
  readonly cron?: string;
  /**
   * The W3C trace context of the span active when the job was enqueued (with `@opentelemetry/api`
   * installed and a span active; absent otherwise): the worker's processing span continues it.
   */
  readonly trace?: JobTraceContext;
}

/** A BullMQ job of queue `Q`, as a processor and `@OnQueueEvent` handlers see it. */
export type QueueJob<Q extends QueueDefinition = QueueDefinition> = Job<QueueJobData<PayloadOf<Q>>>;

/** True for data written by a Producer or a cron (as opposed to a raw `queue.add`). */
export function isQueueJobData(data: unknown): data is QueueJobData {
  return typeof data === 'object' && data !== null && 'payload' in data && 'context' in data;
}
