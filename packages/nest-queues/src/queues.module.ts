import { ContextModule } from '@acme/nest-context';
import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { closeQueue } from './close-within';
import { DeadLetters } from './dead-letters.service';
import { JOB_TRACING, JobTracing } from './job-tracing';
import { Producer } from './producer';
import { isQueueDefinition, type QueueDefinition } from './queue-definition';
import { QueueMetrics } from './queue-metrics';
import { QueueRegistry } from './queue-registry';
import { QueueWorkers } from './queue-workers';
import { ConfigurableQueuesModule, QUEUES_MODULE_OPTIONS, QUEUES_OPTIONS_TYPE, RESOLVED_QUEUES_OPTIONS } from './queues.module-definition';
import { QueueDefinitionError } from './queues.errors';
import { QueuesHealthIndicator } from './queues-health.indicator';
import { RedisPosture } from './redis-posture';
import { getProducerToken } from './queues.tokens';
import { resolveQueuesOptions, type ResolvedQueuesOptions } from './resolve-queues-options';

/** Holds the producers (and @nestjs/bullmq queues) of one `forFeature` call. */
@Module({})
class QueuesFeatureModule {}

/**
 * Closes the queues of one `forFeature` call, dropping their connections when Redis does not
 * answer: @nestjs/bullmq's own close waits on ioredis' retries of pending commands for minutes.
 * Its module imports @nestjs/bullmq's, so Nest runs this hook first; @nestjs/bullmq's `close()`
 * then finds the queue closed.
 */
class FeatureQueuesCloser implements OnApplicationShutdown {
  constructor(private readonly queues: readonly Queue[]) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.queues.map((queue) => closeQueue(queue)));
  }
}

/**
 * Typed BullMQ queues. The app imports `ContextModule.forRoot()` itself (this module imports
 * `ContextModule.forFeature()`, and bootstrap fails with `CONTEXT_NOT_CONFIGURED` without it).
 * `forRoot` (once, global) sets the Redis connection and provides
 * `QueueWorkers`, `DeadLetters`, `QueueMetrics` and `QueuesHealthIndicator`, and checks at startup
 * that Redis keeps acknowledged jobs (AOF on, noeviction; see `allowVolatileRedis`); `forFeature([queue])`
 * provides a `Producer` per queue (`@InjectProducer(queue)`) and the raw BullMQ queue through
 * @nestjs/bullmq (`@InjectQueue(queue.name)`).
 */
@Module({
  imports: [ContextModule.forFeature(), DiscoveryModule],
  providers: [
    // Validated and defaulted once, at bootstrap; a bad option fails here, naming it.
    { provide: RESOLVED_QUEUES_OPTIONS, inject: [QUEUES_MODULE_OPTIONS], useFactory: resolveQueuesOptions },
    // @opentelemetry/api when installed (an optional peer), loaded once at bootstrap: add() stays synchronous.
    { provide: JOB_TRACING, useFactory: () => JobTracing.load() },
    QueueRegistry,
    QueueMetrics,
    QueueWorkers,
    DeadLetters,
    QueuesHealthIndicator,
    RedisPosture,
  ],
  exports: [QueueRegistry, QueueMetrics, QueueWorkers, DeadLetters, QueuesHealthIndicator, QUEUES_MODULE_OPTIONS, RESOLVED_QUEUES_OPTIONS, JOB_TRACING],
})
export class QueuesModule extends ConfigurableQueuesModule {
  static override forRoot(options: typeof QUEUES_OPTIONS_TYPE): DynamicModule {
    return super.forRoot(options);
  }

  /** Registers queues this module produces to: `@InjectProducer(queue)` then works in it. */
  static forFeature(queues: readonly QueueDefinition[]): DynamicModule {
    for (const queue of queues) {
      if (!isQueueDefinition(queue)) throw new QueueDefinitionError('QueuesModule.forFeature([...]) takes queues made by defineQueue.');
    }
    const producers = queues.map((definition) => ({
      provide: getProducerToken(definition),
      inject: [getQueueToken(definition.name), QueueRegistry, JOB_TRACING],
      useFactory: (queue: Queue, registry: QueueRegistry, tracing: JobTracing | null) => {
        registry.declare(definition.name, queue);
        return new Producer(definition, queue as never, tracing);
      },
    }));
    const bull = BullModule.registerQueueAsync(
      ...queues.map((definition) => ({
        name: definition.name,
        inject: [RESOLVED_QUEUES_OPTIONS],
        useFactory: (options: ResolvedQueuesOptions) => ({
          connection: options.connection,
          prefix: options.prefix,
          defaultJobOptions: { ...definition.defaults },
        }),
      })),
    );
    const closer = {
      provide: Symbol('@acme/nest-queues:feature-closer'),
      inject: queues.map((definition) => getQueueToken(definition.name)),
      useFactory: (...handles: Queue[]) => new FeatureQueuesCloser(handles),
    };
    return {
      module: QueuesFeatureModule,
      imports: [bull],
      providers: [...producers, closer],
      exports: [...producers.map((producer) => producer.provide), bull],
    };
  }
}
