import { QueuesModule } from '@acme/nest-queues';
import { ConfigService } from '@nestjs/config';
import type { Env } from '../config/env.schema';

/**
 * BullMQ through @acme/nest-queues, on REDIS_URL with QUEUE_PREFIX. Feature modules import
 * `QueuesModule.forFeature([queue])` for the queues they produce to. Startup refuses a Redis that
 * can lose jobs (AOF off, eviction) unless REDIS_ALLOW_VOLATILE.
 */
export function queuesRootModule() {
  return QueuesModule.forRootAsync({
    inject: [ConfigService],
    useFactory: (config: ConfigService<Env, true>) => ({
      connection: { url: config.get('REDIS_URL') },
      prefix: config.get('QUEUE_PREFIX'),
      allowVolatileRedis: config.get('REDIS_ALLOW_VOLATILE'),
    }),
  });
}
