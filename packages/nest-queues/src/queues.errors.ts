import { AcmeError } from '@acme/nest-context';

/**
 * Base class of the errors this package throws (an `AcmeError`): `code` (`QUEUES_*`) is stable
 * across versions; `message` says what to do and may change.
 */
export abstract class QueuesError extends AcmeError {}

/** Thrown at bootstrap when `QueuesModule` options are invalid; the message names the option. */
export class QueuesOptionsError extends QueuesError {
  readonly code = 'QUEUES_INVALID_OPTIONS';
}

/** Thrown by `defineQueue` (and `@QueueProcessor` / `@Cron` options) when a definition is invalid. */
export class QueueDefinitionError extends QueuesError {
  readonly code = 'QUEUES_INVALID_DEFINITION';
}

/** One problem the payload schema found. */
export interface PayloadIssue {
  readonly message: string;
  /** Where in the payload, e.g. `['to']` or `['items', 0, 'sku']`; empty for the payload itself. */
  readonly path: readonly PropertyKey[];
}

/**
 * Thrown by `Producer.add` / `addBulk` (and when a cron is registered) when the payload does not
 * match the queue's schema. Nothing is enqueued, so a bad payload can never become a poisoned job.
 */
export class QueuePayloadError extends QueuesError {
  readonly code = 'QUEUES_INVALID_PAYLOAD';
  constructor(
    readonly queue: string,
    readonly issues: readonly PayloadIssue[],
  ) {
    const summary = issues
      .slice(0, 5)
      .map((issue) => (issue.path.length ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message))
      .join('; ');
    super(`Invalid payload for queue "${queue}": ${summary}. Fix the payload to match the schema given to defineQueue.`);
  }
}

/**
 * A job reached a processor without the `{ payload, context }` shape a `Producer` writes (it was
 * added with a raw BullMQ queue, or by another tool). It fails without retries and is dead-lettered.
 */
export class ForeignJobError extends QueuesError {
  readonly code = 'QUEUES_FOREIGN_JOB';
  constructor(queue: string, jobId: string | undefined) {
    super(
      `Job ${jobId ?? '?'} of queue "${queue}" was not added through a Producer (its data has no payload/context). ` +
        'Enqueue with @InjectProducer(queue).add(payload) so the payload is validated and the context travels with it.',
    );
  }
}

/** Workers could not start: Redis unreachable within the startup deadline, or a processor is misconfigured. */
export class WorkerStartupError extends QueuesError {
  readonly code = 'QUEUES_WORKER_STARTUP';
}

/** A connection error workers cannot recover from by reconnecting (authentication, permissions). */
export class FatalConnectionError extends QueuesError {
  readonly code = 'QUEUES_FATAL_CONNECTION';
}

/**
 * Redis did not answer in time: at the startup durability check, in `QueuesHealthIndicator`, or
 * while closing. Reported as the reason of a refused startup or a `down` health result.
 */
export class RedisUnreachableError extends QueuesError {
  readonly code = 'QUEUES_REDIS_UNREACHABLE';
}

/**
 * A job carries a context envelope this version cannot read (corrupt, or written by an unknown
 * version). It fails without retries and is dead-lettered: it never runs without its tenant.
 */
export class JobContextError extends QueuesError {
  readonly code = 'QUEUES_INVALID_CONTEXT';
  constructor(queue: string, jobId: string | undefined, reason: string) {
    super(
      `Job ${jobId ?? '?'} of queue "${queue}" carries an unreadable context (${reason}), so it was not run. ` +
        'Enqueue with @InjectProducer(queue).add(payload), which writes the envelope; then replay or discard the dead letter.',
    );
  }
}

/**
 * A job was given a `priority` on a queue defined with `fairness`: its jobs are ordered by
 * workspace turns, which are BullMQ priorities. Nothing is enqueued.
 */
export class FairQueuePriorityError extends QueuesError {
  readonly code = 'QUEUES_FAIR_PRIORITY';
  constructor(
    /** The fair queue's name. */
    readonly queue: string,
  ) {
    super(
      `Queue "${queue}" is fair (defineQueue "fairness"): its jobs take turns by workspace, so a job cannot set "priority". ` +
        'Drop the option, or enqueue urgent work to a separate queue.',
    );
  }
}
