import { Injectable } from '@nestjs/common';
import type { RateLimiterOptions, WorkerOptions } from 'bullmq';
import { isQueueDefinition, type PayloadOf, type QueueDefinition } from './queue-definition';
import type { QueueJob } from './queue-job';
import { QueueDefinitionError } from './queues.errors';

/** What a `@QueueProcessor` class implements. */
export interface QueueHandler<Q extends QueueDefinition = QueueDefinition> {
  /**
   * Processes one job, inside the request context of the code that enqueued it. Throw to fail
   * the attempt (it is retried with the queue's backoff, then dead-lettered); the return value
   * becomes the job's return value.
   */
  process(payload: PayloadOf<Q>, job: QueueJob<Q>): unknown;
}

/** Options of `@QueueProcessor`; they override the queue definition for this worker. */
export interface QueueProcessorOptions {
  /** @default the queue's `concurrency` */
  concurrency?: number;
  /** @default the queue's `limiter` */
  limiter?: RateLimiterOptions;
  /** Other BullMQ worker options: `lockDuration`, `stalledInterval`, `maxStalledCount`, ... */
  worker?: Omit<WorkerOptions, 'connection' | 'prefix' | 'concurrency' | 'limiter' | 'autorun'>;
}

/** Internal: what `@QueueProcessor` records on the class. */
export interface QueueProcessorMetadata {
  queue: QueueDefinition;
  options: QueueProcessorOptions;
}

export const QUEUE_PROCESSOR_METADATA = Symbol.for('@acme/nest-queues:processor');

/**
 * Makes the class the processor of `queue` (and an injectable provider: list it in a module's
 * `providers`). Its workers start only in a worker process (`bootstrapWorker`) or with
 * `runWorkers: true`, never merely because the class is in the HTTP app's module graph.
 * Every job runs in the context it was enqueued in: `ContextService`, `tenantDb`, `@Audit` and
 * logs see the enqueuing request's workspace, actor and request id.
 *
 * @example
 * @QueueProcessor(emails)
 * export class EmailsProcessor implements QueueHandler<typeof emails> {
 *   async process(payload: PayloadOf<typeof emails>) { await this.mailer.send(payload); }
 * }
 */
export function QueueProcessor<Q extends QueueDefinition>(queue: Q, options: QueueProcessorOptions = {}) {
  if (!isQueueDefinition(queue)) {
    throw new QueueDefinitionError('@QueueProcessor(queue): pass a queue made by defineQueue({ name, payload }).');
  }
  const { concurrency } = options;
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) {
    throw new QueueDefinitionError(`@QueueProcessor(${queue.name}): "concurrency" must be a positive integer.`);
  }
  return <T extends new (...args: any[]) => QueueHandler<Q>>(target: T): void => {
    const metadata: QueueProcessorMetadata = { queue, options };
    Reflect.defineMetadata(QUEUE_PROCESSOR_METADATA, metadata, target);
    Injectable()(target);
  };
}
