import { INVALIDATION_BUS } from '@acme/nest-context';
import { Module } from '@nestjs/common';
import { ConfigurableInvalidationBusModule, INVALIDATION_BUS_MODULE_OPTIONS } from './invalidation-bus.module-definition';
import type { InvalidationBusOptions } from './invalidation-bus.options';
import { RedisInvalidationBus } from './redis-invalidation-bus';

/**
 * Provides nest-context's `INVALIDATION_BUS` over Redis pub/sub (global by default): with it,
 * @acme/nest-casl's ability cache and @acme/nest-tenancy's membership cache forget an entry on
 * every replica when one replica invalidates it. Options are validated at bootstrap.
 *
 * @example InvalidationBusModule.forRoot({ connection: { url: process.env.REDIS_URL }, channel: 'crm:invalidation' })
 */
@Module({
  providers: [
    {
      provide: RedisInvalidationBus,
      inject: [INVALIDATION_BUS_MODULE_OPTIONS],
      useFactory: (options: InvalidationBusOptions) => new RedisInvalidationBus(options),
    },
    { provide: INVALIDATION_BUS, useExisting: RedisInvalidationBus },
  ],
  exports: [RedisInvalidationBus, INVALIDATION_BUS, INVALIDATION_BUS_MODULE_OPTIONS],
})
export class InvalidationBusModule extends ConfigurableInvalidationBusModule {}
