import type { Logger } from '@nestjs/common';
import type { CronMetadata } from './cron.decorator';
import type { QueueJobData } from './queue-job';
import type { QueueRegistry } from './queue-registry';
import { QueueDefinitionError } from './queues.errors';
import { parsePayload } from './standard-schema';

/**
 * Makes Redis hold exactly the crons in the code for every queue this worker serves: upserts a
 * job scheduler per `@Cron` (idempotent: replicas and restarts upsert the same id) and, with
 * `removeStale`, removes schedulers this package created whose cron is gone. Schedulers created
 * another way carry no `cron` marker in their template and are left alone.
 */
export async function reconcileCrons(
  registry: QueueRegistry,
  queueNames: ReadonlySet<string>,
  crons: readonly CronMetadata[],
  removeStale: boolean,
  logger: Logger,
): Promise<void> {
  const seen = new Set<string>();
  for (const { queue, options } of crons) {
    const key = `${queue.name}/${options.name}`;
    if (seen.has(key)) {
      throw new QueueDefinitionError(
        `@Cron(${queue.name}, "${options.name}") is declared twice in this app (on two classes): give each cron of a queue its own name.`,
      );
    }
    seen.add(key);
  }
  for (const name of new Set([...queueNames, ...crons.map((cron) => cron.queue.name)])) {
    const queue = registry.get(name);
    const inCode = crons.filter((cron) => cron.queue.name === name);
    for (const { queue: definition, options } of inCode) {
      const payload = await parsePayload(`${name} (cron ${options.name})`, definition.payload, options.payload);
      const data: QueueJobData = { payload, context: null, cron: options.name };
      await queue.upsertJobScheduler(
        options.name,
        {
          ...(options.pattern ? { pattern: options.pattern } : { every: options.every! }),
          ...(options.tz ? { tz: options.tz } : {}),
          ...(options.limit ? { limit: options.limit } : {}),
          ...(options.startDate ? { startDate: options.startDate } : {}),
          ...(options.endDate ? { endDate: options.endDate } : {}),
        },
        { name: options.name, data, opts: { ...definition.defaults, ...options.job } },
      );
    }
    if (!removeStale) continue;
    const wanted = new Set(inCode.map((cron) => cron.options.name));
    for (const scheduler of await queue.getJobSchedulers(0, -1)) {
      const marker = (scheduler.template?.data as Partial<QueueJobData> | undefined)?.cron;
      if (marker === undefined || wanted.has(scheduler.key)) continue;
      await queue.removeJobScheduler(scheduler.key);
      logger.log(`Removed job scheduler "${scheduler.key}" of queue "${name}": its @Cron is no longer in the code.`);
    }
  }
}
