import type { Queue } from 'bullmq';

/** Job counts of one queue, as the `jobs` gauge and the health check report them. */
export interface QueueHealthCounts {
  /** Jobs due to run, prioritized ones included. */
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

/**
 * Reads the job counts of `queue` in one round trip. BullMQ keeps jobs added with a `priority`
 * in a set apart from its wait list; they wait all the same, so `waiting` counts both.
 */
export async function readJobCounts(queue: Queue): Promise<QueueHealthCounts> {
  const counts = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
  return {
    waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
    active: counts.active ?? 0,
    delayed: counts.delayed ?? 0,
    failed: counts.failed ?? 0,
  };
}
