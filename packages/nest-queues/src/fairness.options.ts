import { QueueDefinitionError } from './queues.errors';

/**
 * Fair scheduling of one queue across workspaces (`defineQueue({ fairness })`). Jobs are served
 * round-robin across the workspaces that have jobs waiting, so one workspace's flood does not
 * delay another's jobs; optional caps apply per workspace across every worker. See the README's
 * "Fairness" section for the design and its limits.
 */
export interface FairnessOptions {
  /** What a share is keyed by: the workspace of the context the job was enqueued in. */
  by: 'workspace';
  /**
   * At most this many jobs of one workspace run at once, across every worker and process.
   * A job over the cap goes back to the delayed set (not counted as an attempt) and runs once a
   * slot frees.
   * @default no cap
   */
  concurrency?: number;
  /**
   * At most `max` jobs of one workspace start per `duration` ms, across every worker, spaced
   * evenly (one every `duration / max` ms). A job over the rate is delayed to its slot (not
   * counted as an attempt).
   * @default no rate limit
   */
  rate?: { max: number; duration: number };
}

/** The fairness settings of a queue after validation. */
export interface ResolvedFairness {
  /** What a share is keyed by. */
  readonly by: 'workspace';
  /** 0 when there is no cap. */
  readonly concurrency: number;
  /** Minimum ms between two job starts of one workspace; 0 when there is no rate limit. */
  readonly intervalMs: number;
  /** The rate as given, or undefined. */
  readonly rate: Readonly<{ max: number; duration: number }> | undefined;
}

/** Validates `defineQueue`'s `fairness` option (with the queue's job defaults, which must not set a priority). */
export function resolveFairness(queue: string, fairness: FairnessOptions | undefined, defaultPriority: unknown): ResolvedFairness | null {
  if (fairness === undefined) return null;
  const fail = (what: string) => new QueueDefinitionError(`defineQueue "${queue}": "fairness${what}`);
  if (typeof fairness !== 'object' || fairness === null || fairness.by !== 'workspace') {
    throw fail(`" must be { by: 'workspace', concurrency?, rate? }, got ${JSON.stringify(fairness)}.`);
  }
  const { concurrency, rate } = fairness;
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) {
    throw fail(`.concurrency" must be a positive integer (jobs of one workspace running at once), got ${String(concurrency)}.`);
  }
  if (rate !== undefined && !(isPositiveInteger(rate?.max) && isPositiveInteger(rate?.duration))) {
    throw fail(`.rate" must be { max, duration } with positive integers (jobs per duration in ms), got ${JSON.stringify(rate)}.`);
  }
  if (defaultPriority !== undefined && defaultPriority !== 0) {
    throw new QueueDefinitionError(
      `defineQueue "${queue}": "defaults.priority" cannot be used with "fairness": a fair queue orders jobs by workspace turns through BullMQ priorities. ` +
        'Use a separate queue for urgent jobs.',
    );
  }
  return Object.freeze({
    by: 'workspace',
    concurrency: concurrency ?? 0,
    intervalMs: rate ? rate.duration / rate.max : 0,
    rate: rate ? Object.freeze({ max: rate.max, duration: rate.duration }) : undefined,
  });
}

const isPositiveInteger = (value: unknown): value is number => Number.isInteger(value) && (value as number) > 0;
