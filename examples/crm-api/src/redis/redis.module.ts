import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Redis } from 'ioredis';
import type { Env } from '../config/env.schema';

export const REDIS = Symbol.for('crm-api:redis');

/** One shared Redis connection (health checks, rate limits, sign-in limits; queues and the cache open their own). */
@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Env, true>) => {
        const redis = new Redis(config.get('REDIS_URL'), { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: true });
        // While Redis is down its callers report it (health 'Down', the rate limits' and sign-in
        // warnings); without a listener ioredis would print every reconnect attempt to stderr.
        redis.on('error', () => undefined);
        return redis;
      },
    },
  ],
  exports: [REDIS],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
  }
}
