import { Inject, Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import { isCustomJobId, type DeadLetter, type StoredDeadLetter } from './dead-letter';
import type { PayloadOf, QueueDefinition } from './queue-definition';
import { QueueRegistry } from './queue-registry';
import { QueueDefinitionError } from './queues.errors';

/** Which dead letters to replay. */
export interface ReplayOptions {
  /** Dead-letter ids (`StoredDeadLetter.id`); default: the oldest `limit` letters. */
  ids?: readonly string[];
  /** @default 1000 */
  limit?: number;
}

/** What `replay` did with each letter. */
export interface ReplayResult {
  replayed: Array<{ deadLetterId: string; jobId: string }>;
  /** Letters left in place, with why (e.g. a job with the same custom id is waiting or completed). */
  skipped: Array<{ deadLetterId: string; reason: string }>;
}

const PENDING = ['waiting', 'prioritized', 'delayed'] as const;

/** Lists, replays and discards the dead letters of a queue. */
@Injectable()
export class DeadLetters {
  constructor(@Inject(QueueRegistry) private readonly registry: QueueRegistry) {}

  /** Dead letters of `queue`, oldest first (`start`/`end` are inclusive offsets). */
  async list<Q extends QueueDefinition>(queue: Q, { start = 0, end = 99 } = {}): Promise<StoredDeadLetter<PayloadOf<Q>>[]> {
    const jobs = await this.deadLetterQueue(queue).getJobs([...PENDING], start, end, true);
    return jobs.filter(Boolean).map(toStored<PayloadOf<Q>>);
  }

  async count(queue: QueueDefinition): Promise<number> {
    return this.deadLetterQueue(queue).getJobCountByTypes(...PENDING);
  }

  /**
   * Enqueues dead letters again on their queue, with their payload and original context (same
   * workspace, actor and request id) and the queue's job defaults, then removes them. A custom job
   * id is reused, so deduplication still holds: the failed original is removed first, and a letter
   * whose id is taken by a live or completed job is skipped.
   */
  async replay(queue: QueueDefinition, options: ReplayOptions = {}): Promise<ReplayResult> {
    const deadLetters = this.deadLetterQueue(queue);
    const source = this.registry.get(queue.name);
    const jobs = options.ids
      ? await Promise.all(options.ids.map((id) => deadLetters.getJob(id)))
      : await deadLetters.getJobs([...PENDING], 0, (options.limit ?? 1000) - 1, true);
    const result: ReplayResult = { replayed: [], skipped: [] };
    for (const [index, job] of jobs.entries()) {
      if (!job) {
        result.skipped.push({ deadLetterId: options.ids?.[index] ?? '?', reason: 'no such dead letter' });
        continue;
      }
      const letter = job.data as DeadLetter;
      const reuseId = isCustomJobId(letter.jobId);
      if (reuseId) {
        const existing = await source.getJob(letter.jobId);
        const state = existing ? await existing.getState() : 'unknown';
        if (state === 'failed') await existing!.remove();
        else if (state !== 'unknown') {
          result.skipped.push({ deadLetterId: job.id!, reason: `job ${letter.jobId} exists (${state})` });
          continue;
        }
      }
      const data = { payload: letter.payload, context: letter.context, ...(letter.cron ? { cron: letter.cron } : {}) };
      const replayed = await source.add(letter.name, data, { ...queue.defaults, ...(reuseId ? { jobId: letter.jobId } : {}) });
      await job.remove();
      result.replayed.push({ deadLetterId: job.id!, jobId: replayed.id! });
    }
    return result;
  }

  /** Deletes dead letters for good; returns how many existed. */
  async discard(queue: QueueDefinition, ids: readonly string[]): Promise<number> {
    const deadLetters = this.deadLetterQueue(queue);
    const removed = await Promise.all(ids.map((id) => deadLetters.remove(id)));
    return removed.filter((count) => count > 0).length;
  }

  private deadLetterQueue(queue: QueueDefinition) {
    if (!queue.deadLetterQueue) {
      throw new QueueDefinitionError(
        `Queue "${queue.name}" has no dead-letter queue (defineQueue({ deadLetter: false })): turn dead-lettering on in its definition to keep exhausted jobs.`,
      );
    }
    return this.registry.get(queue.deadLetterQueue);
  }
}

function toStored<T>(job: Job): StoredDeadLetter<T> {
  return { ...(job.data as DeadLetter<T>), id: job.id! };
}
