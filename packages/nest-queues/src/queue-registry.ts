import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { closeQueue } from './close-within';
import { RESOLVED_QUEUES_OPTIONS } from './queues.module-definition';
import type { ResolvedQueuesOptions } from './resolve-queues-options';

/**
 * BullMQ `Queue` handles by name for the app's internal needs (schedulers, dead letters, gauges,
 * health), created on first use and closed at shutdown. Queues registered by `forFeature` (through
 * @nestjs/bullmq, which owns and closes them) are adopted instead of opening a second connection.
 */
@Injectable()
export class QueueRegistry implements OnApplicationShutdown {
  private readonly logger = new Logger('QueueRegistry');
  private readonly owned = new Map<string, Queue>();
  private readonly adopted = new Map<string, Queue>();
  /** Queues this app produces to or processes: what gauges and the health check cover. */
  readonly known = new Set<string>();

  constructor(@Inject(RESOLVED_QUEUES_OPTIONS) private readonly options: ResolvedQueuesOptions) {}

  /** Connection settings shared by every queue, worker and scheduler of the app. */
  get connection() {
    return { connection: this.options.connection, prefix: this.options.prefix };
  }

  /** Marks a queue as used by this app; with `queue`, reuses that handle. */
  declare(name: string, queue?: Queue): void {
    this.known.add(name);
    if (queue && !this.adopted.has(name)) {
      this.adopted.set(name, queue);
      this.listen(queue);
    }
  }

  get(name: string): Queue {
    const existing = this.adopted.get(name) ?? this.owned.get(name);
    if (existing) return existing;
    const queue = new Queue(name, this.connection);
    this.listen(queue);
    this.owned.set(name, queue);
    return queue;
  }

  /** Reports connection errors through Nest's logger (BullMQ prints them to stderr otherwise). */
  private listen(queue: Queue): void {
    queue.on('error', (error) => this.logger.warn(`Queue "${queue.name}": ${error.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    const queues = [...this.owned.values()];
    this.owned.clear();
    await Promise.all(queues.map((queue) => closeQueue(queue)));
  }
}
