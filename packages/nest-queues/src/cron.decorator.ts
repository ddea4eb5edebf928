import { isQueueDefinition, type PayloadInputOf, type QueueDefinition } from './queue-definition';
import type { AddJobOptions } from './producer';
import { QueueDefinitionError } from './queues.errors';

/** Options of `@Cron`: when it runs (exactly one of `pattern` and `every`) and what it enqueues. */
export interface CronOptions<Q extends QueueDefinition> {
  /** Scheduler id, unique per queue; also the name of the jobs it creates (`job.name`). */
  name: string;
  /** Cron expression (`'0 3 * * *'`; a sixth leading field is seconds). */
  pattern?: string;
  /** Interval in milliseconds, instead of a pattern. */
  every?: number;
  /** IANA time zone of `pattern`. @default the worker's time zone (set it: workers move) */
  tz?: string;
  /** Payload of every run, validated against the queue's schema when workers start. */
  payload: PayloadInputOf<Q>;
  /** Job options of the runs (priority, attempts, backoff ...). @default the queue's defaults */
  job?: Omit<AddJobOptions, 'jobId' | 'delay' | 'deduplication' | 'name' | 'parent'>;
  /** Stop after this many runs. */
  limit?: number;
  startDate?: Date | number;
  endDate?: Date | number;
}

/** Internal: one `@Cron` as recorded on the class. */
export interface CronMetadata {
  queue: QueueDefinition;
  options: CronOptions<QueueDefinition>;
}

export const CRON_METADATA = Symbol.for('@acme/nest-queues:cron');
const CRON_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * Runs `queue`'s processor on a schedule. Registered as a BullMQ job scheduler when workers
 * start: idempotent across replicas and restarts (one scheduler per name, however many workers
 * upsert it), and schedulers of crons removed from the code are deleted. Stackable; put it on
 * the processor class or any provider of the worker app.
 *
 * @example
 * @Cron(digests, { name: 'nightly-digest', pattern: '0 3 * * *', tz: 'Europe/Paris', payload: { period: 'Daily' } })
 * @QueueProcessor(digests)
 * export class DigestProcessor { ... }
 */
export function Cron<Q extends QueueDefinition>(queue: Q, options: CronOptions<Q>): ClassDecorator {
  if (!isQueueDefinition(queue)) throw new QueueDefinitionError('@Cron(queue, options): pass a queue made by defineQueue.');
  const where = `@Cron(${queue.name}, ${JSON.stringify(options?.name)})`;
  if (typeof options?.name !== 'string' || !CRON_NAME.test(options.name)) {
    throw new QueueDefinitionError(`${where}: "name" must be 1-100 characters of letters, digits, ".", "_" or "-".`);
  }
  const hasPattern = typeof options.pattern === 'string' && options.pattern.trim() !== '';
  const hasEvery = options.every !== undefined;
  if (hasPattern === hasEvery) throw new QueueDefinitionError(`${where}: give exactly one of "pattern" and "every".`);
  if (hasEvery && (!Number.isInteger(options.every) || options.every! < 1)) {
    throw new QueueDefinitionError(`${where}: "every" must be a positive integer of milliseconds.`);
  }
  if (options.tz !== undefined && (typeof options.tz !== 'string' || !isTimeZone(options.tz))) {
    throw new QueueDefinitionError(`${where}: "tz" must be an IANA time zone such as "Europe/Paris", got ${JSON.stringify(options.tz)}.`);
  }
  return (target) => {
    const crons: CronMetadata[] = Reflect.getOwnMetadata(CRON_METADATA, target) ?? [];
    if (crons.some((cron) => cron.queue.name === queue.name && cron.options.name === options.name)) {
      throw new QueueDefinitionError(`${where}: a cron with this name is already declared on ${target.name}.`);
    }
    Reflect.defineMetadata(CRON_METADATA, [...crons, { queue, options }], target);
  };
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
