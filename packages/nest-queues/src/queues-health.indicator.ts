import { withTimeout } from '@acme/nest-context';
import { Inject, Injectable } from '@nestjs/common';
import { readJobCounts, type QueueHealthCounts } from './job-counts';
import { QueueRegistry } from './queue-registry';
import { QueueWorkers } from './queue-workers';
import { RedisUnreachableError } from './queues.errors';

export type { QueueHealthCounts } from './job-counts';

/**
 * The shape @nestjs/terminus expects from a health indicator (`HealthIndicatorResult`), declared
 * here so terminus stays an optional peer. A `down` result fails `HealthCheckService.check`.
 */
export type QueuesHealthResult<Key extends string = string> = Record<
  Key,
  { status: 'up'; workers: 'running' | 'stopped'; queues: Record<string, QueueHealthCounts> } | { status: 'down'; message: string }
>;

/**
 * Health indicator for @nestjs/terminus: up when Redis answers for every queue this app produces
 * to or processes, within `timeoutMs`; reports job counts and whether workers run here.
 *
 * @example
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.queues.isHealthy('queues')]); }
 */
@Injectable()
export class QueuesHealthIndicator {
  constructor(
    @Inject(QueueRegistry) private readonly registry: QueueRegistry,
    @Inject(QueueWorkers) private readonly workers: QueueWorkers,
  ) {}

  /** @param options.timeoutMs how long Redis may take to answer @default 1000 */
  async isHealthy<const Key extends string = 'queues'>(key: Key = 'queues' as Key, { timeoutMs = 1000 } = {}): Promise<QueuesHealthResult<Key>> {
    try {
      const counts = await withTimeout(
        Promise.all([...this.registry.known].map(async (name): Promise<[string, QueueHealthCounts]> => [name, await readJobCounts(this.registry.get(name))])),
        timeoutMs,
        () => new RedisUnreachableError(`Redis did not answer within ${timeoutMs} ms: check that it is reachable at QueuesModule option "connection".`),
      );
      const workers = this.workers.running ? 'running' : 'stopped';
      return { [key]: { status: 'up', workers, queues: Object.fromEntries(counts) } } as QueuesHealthResult<Key>;
    } catch (error) {
      return { [key]: { status: 'down', message: (error as Error).message } } as QueuesHealthResult<Key>;
    }
  }
}
