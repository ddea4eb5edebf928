import type { DefaultJobOptions, RateLimiterOptions } from 'bullmq';
import { resolveFairness, type FairnessOptions, type ResolvedFairness } from './fairness.options';
import { QueueDefinitionError } from './queues.errors';
import { isStandardSchema, type SchemaInput, type SchemaOutput, type StandardSchemaV1 } from './standard-schema';

/** What `defineQueue` takes. */
export interface DefineQueueOptions<TName extends string, TSchema extends StandardSchemaV1> {
  /** BullMQ queue name: letters, digits, `.`, `_`, `-` (BullMQ forbids `:`). */
  name: TName;
  /** Schema of the payload (zod 4, or any Standard Schema). Producers validate against it before enqueuing. */
  payload: TSchema;
  /**
   * Job options for every job of this queue; `add(payload, opts)` overrides them per job.
   * @default { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { count: 1000 }, removeOnFail: { count: 5000 } }
   */
  defaults?: DefaultJobOptions;
  /** Worker rate limit: at most `max` jobs per `duration` ms, across all workers of the queue. */
  limiter?: RateLimiterOptions;
  /**
   * Jobs one worker process runs at once. `@QueueProcessor(queue, { concurrency })` overrides it.
   * @default 1
   */
  concurrency?: number;
  /**
   * Copy jobs that exhausted their attempts, with error and context, to a dead-letter queue.
   * `true` names it `<name>.dead-letter`; `{ queue }` names it yourself; `false` turns it off.
   * @default true
   */
  deadLetter?: boolean | { queue: string };
  /**
   * Serve jobs round-robin across workspaces (the workspace of the context each job was enqueued
   * in), optionally capping how many jobs of one workspace run at once and how fast they start,
   * across every worker. A fair queue refuses job priorities. See the README's "Fairness".
   * @default off (FIFO)
   */
  fairness?: FairnessOptions;
}

/** One typed queue, shared by producers and the worker. Create it with `defineQueue`. */
export interface QueueDefinition<TName extends string = string, TSchema extends StandardSchemaV1 = StandardSchemaV1> {
  readonly name: TName;
  readonly payload: TSchema;
  /** The job defaults after merging yours over the package defaults. */
  readonly defaults: Readonly<DefaultJobOptions>;
  readonly limiter: Readonly<RateLimiterOptions> | undefined;
  readonly concurrency: number;
  /** Name of the dead-letter queue, or null when dead-lettering is off. */
  readonly deadLetterQueue: string | null;
  /** The queue's fairness settings, or null for a FIFO queue. */
  readonly fairness: ResolvedFairness | null;
}

/** The payload a processor receives (the schema's output). */
export type PayloadOf<Q extends QueueDefinition> = SchemaOutput<Q['payload']>;
/** The payload a producer accepts (the schema's input). */
export type PayloadInputOf<Q extends QueueDefinition> = SchemaInput<Q['payload']>;

/** The job defaults every queue starts from. */
export const DEFAULT_JOB_OPTIONS: Readonly<DefaultJobOptions> = Object.freeze({
  attempts: 3,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 5000 },
});

const QUEUE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * Defines a typed queue: its name, payload schema, job defaults, rate limit and concurrency.
 * Export it from a module both the API and the worker import, so both sides share one type.
 *
 * @example
 * export const emails = defineQueue({
 *   name: 'emails',
 *   payload: z.object({ to: z.email(), template: z.enum(['Welcome', 'Reset Password']) }),
 *   defaults: { attempts: 5 },
 *   concurrency: 10,
 * });
 */
export function defineQueue<const TName extends string, TSchema extends StandardSchemaV1>(
  options: DefineQueueOptions<TName, TSchema>,
): QueueDefinition<TName, TSchema> {
  const { name, payload, defaults, limiter, concurrency = 1, deadLetter = true, fairness } = options ?? ({} as never);
  assertQueueName('name', name);
  if (!isStandardSchema(payload)) {
    throw new QueueDefinitionError(`defineQueue "${name}": "payload" must be a zod 4 schema (or another Standard Schema), e.g. z.object({...}).`);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new QueueDefinitionError(`defineQueue "${name}": "concurrency" must be a positive integer, got ${String(concurrency)}.`);
  }
  if (limiter !== undefined && !(isPositive(limiter?.max) && isPositive(limiter?.duration))) {
    throw new QueueDefinitionError(`defineQueue "${name}": "limiter" must be { max, duration } with positive numbers.`);
  }
  const merged = { ...DEFAULT_JOB_OPTIONS, ...defaults };
  if (merged.attempts !== undefined && (!Number.isInteger(merged.attempts) || merged.attempts < 1)) {
    throw new QueueDefinitionError(`defineQueue "${name}": "defaults.attempts" must be an integer >= 1.`);
  }
  let deadLetterQueue: string | null = null;
  if (deadLetter === true) deadLetterQueue = `${name}.dead-letter`;
  else if (typeof deadLetter === 'object' && deadLetter !== null) {
    assertQueueName('deadLetter.queue', deadLetter.queue);
    deadLetterQueue = deadLetter.queue;
  } else if (deadLetter !== false) {
    throw new QueueDefinitionError(`defineQueue "${name}": "deadLetter" must be a boolean or { queue }.`);
  }
  if (deadLetterQueue === name) {
    throw new QueueDefinitionError(`defineQueue "${name}": "deadLetter.queue" must differ from the queue itself.`);
  }
  const fair = resolveFairness(name, fairness, merged.priority);
  return Object.freeze({
    name,
    payload,
    defaults: Object.freeze(merged),
    limiter: limiter ? Object.freeze({ ...limiter }) : undefined,
    concurrency,
    deadLetterQueue,
    fairness: fair,
  });
}

function assertQueueName(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || !QUEUE_NAME.test(value)) {
    throw new QueueDefinitionError(
      `defineQueue: "${field}" must be 1-100 characters of letters, digits, ".", "_" or "-" (BullMQ forbids ":"), got ${JSON.stringify(value)}.`,
    );
  }
}

const isPositive = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value) && value > 0;

/** True for objects made by `defineQueue` (used to validate decorator and module arguments). */
export function isQueueDefinition(value: unknown): value is QueueDefinition {
  const candidate = value as Partial<QueueDefinition> | null | undefined;
  return typeof candidate?.name === 'string' && isStandardSchema(candidate.payload) && typeof candidate.concurrency === 'number';
}
