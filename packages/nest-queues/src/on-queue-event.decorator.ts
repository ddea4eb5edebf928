import { QueueDefinitionError } from './queues.errors';

/**
 * Worker events a `@QueueProcessor` class can handle:
 * - `active` (job): an attempt starts;
 * - `progress` (job, progress): the processor called `job.updateProgress`;
 * - `completed` (job, result);
 * - `failed` (job, error): an attempt failed, whether or not it will be retried;
 * - `exhausted` (job, error): the job failed for good (attempts used up or unrecoverable), after
 *   it was copied to the dead-letter queue when that is on.
 */
export type QueueEventName = 'active' | 'progress' | 'completed' | 'failed' | 'exhausted';

export const ON_QUEUE_EVENT_METADATA = Symbol.for('@acme/nest-queues:on-queue-event');

/**
 * Runs the method on a worker event of its `@QueueProcessor` class's queue, inside the job's
 * restored context (so logs and audit entries name the enqueuing request). Errors it throws are
 * logged, never propagated into the worker.
 *
 * @example
 * @OnQueueEvent('exhausted')
 * alert(job: QueueJob<typeof emails>, error: Error) { this.logger.error({ jobId: job.id, error }); }
 */
export function OnQueueEvent(event: QueueEventName): MethodDecorator {
  return (_target, _key, descriptor) => {
    const method = descriptor.value as object | undefined;
    if (typeof method !== 'function') {
      throw new QueueDefinitionError(`@OnQueueEvent('${event}') decorates methods only: put it on a method of the @QueueProcessor class.`);
    }
    const events: QueueEventName[] = Reflect.getMetadata(ON_QUEUE_EVENT_METADATA, method) ?? [];
    Reflect.defineMetadata(ON_QUEUE_EVENT_METADATA, [...events, event], method);
  };
}
