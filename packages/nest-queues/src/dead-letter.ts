import type { ContextEnvelope } from '@acme/nest-context';
import type { Job, Queue } from 'bullmq';
import { isQueueJobData } from './queue-job';

/**
 * A job that exhausted its attempts, as copied to its queue's dead-letter queue: everything
 * needed to understand the failure and to replay the job in its original context.
 */
export interface DeadLetter<T = unknown> {
  /** The queue the job failed in. */
  readonly queue: string;
  /** Its id there. Custom ids (deduplication keys) are reused when the letter is replayed. */
  readonly jobId: string;
  readonly name: string;
  readonly payload: T;
  /** The context it was enqueued in (workspace, actor, request id); replays keep it. */
  readonly context: ContextEnvelope | null;
  /** Set when a `@Cron` created the job. */
  readonly cron?: string;
  readonly error: { readonly name: string; readonly message: string; readonly stack?: string };
  readonly attemptsMade: number;
  /** ISO 8601. */
  readonly enqueuedAt: string;
  /** ISO 8601. */
  readonly failedAt: string;
}

/** A dead letter as listed: the letter plus its own id in the dead-letter queue. */
export type StoredDeadLetter<T = unknown> = DeadLetter<T> & { readonly id: string };

/**
 * Its id in the dead-letter queue: stable for one job (so writing it twice, from a retried
 * event or a second worker, stores it once) and distinct for a later job reusing a custom id.
 */
export function deadLetterId(job: Job): string {
  return `${String(job.id).replaceAll(':', '.')}.${job.timestamp}`;
}

/** BullMQ numbers jobs without a custom id; custom ids are never integers (BullMQ rejects them). */
export function isCustomJobId(id: string): boolean {
  return `${Number.parseInt(id, 10)}` !== id;
}

/** True when a failed job will not be retried (the 'failed' event fires for every attempt). */
export function isFinalFailure(job: Job, error: Error | undefined): boolean {
  if (error?.name === 'UnrecoverableError') return true;
  // finishedOn is set only when the job moves to failed (not when it is retried); the attempts
  // rule covers jobs whose hash was removed by removeOnFail.
  return typeof job.finishedOn === 'number' || job.attemptsMade >= Math.max(job.opts.attempts ?? 1, 1);
}

/** Copies a failed job, with its error and context, to the dead-letter queue. Idempotent. */
export async function writeDeadLetter(deadLetters: Queue, job: Job, error: Error | undefined): Promise<void> {
  const data = job.data as unknown;
  const wrapped = isQueueJobData(data);
  const letter: DeadLetter = {
    queue: job.queueName,
    jobId: String(job.id),
    name: job.name,
    payload: wrapped ? data.payload : data,
    context: wrapped ? data.context : null,
    ...(wrapped && data.cron ? { cron: data.cron } : {}),
    error: {
      name: error?.name ?? 'Error',
      message: error?.message ?? job.failedReason ?? 'unknown',
      ...(error?.stack ? { stack: error.stack } : {}),
    },
    attemptsMade: job.attemptsMade,
    enqueuedAt: new Date(job.timestamp).toISOString(),
    failedAt: new Date(job.finishedOn ?? Date.now()).toISOString(),
  };
  // No worker consumes a dead-letter queue: letters wait there until replayed or discarded.
  await deadLetters.add(job.name, letter, { jobId: deadLetterId(job), attempts: 1, removeOnComplete: false, removeOnFail: false });
}
