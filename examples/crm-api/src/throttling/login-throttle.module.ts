import { RedisThrottlerStorage } from '@acme/nest-cache';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Redis } from 'ioredis';
import { IdentityModule } from '../auth/identity.module';
import type { Env } from '../config/env.schema';
import { REDIS } from '../redis/redis.module';
import { LOGIN_THROTTLE_OPTIONS, LOGIN_THROTTLE_STORAGE, loginThrottleOptions } from './login-throttle.options';
import { loginThrottleMetrics, loginThrottleMetricTokens } from './login-throttle.metrics';
import { LoginThrottle } from './login-throttle.service';

/**
 * Sign-in limits for `@UseGuards(LoginThrottlerGuard)`. The guard's options and storage live under
 * this app's own tokens rather than ThrottlerModule's (a global module): an app-wide
 * ThrottlerModule added later keeps its own settings and cannot change these.
 */
@Module({
  imports: [IdentityModule],
  providers: [
    {
      provide: LOGIN_THROTTLE_OPTIONS,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Env, true>) =>
        loginThrottleOptions({
          LOGIN_IP_LIMIT: config.get('LOGIN_IP_LIMIT'),
          LOGIN_EMAIL_LIMIT: config.get('LOGIN_EMAIL_LIMIT'),
          LOGIN_WINDOW_SECONDS: config.get('LOGIN_WINDOW_SECONDS'),
          LOGIN_BLOCK_SECONDS: config.get('LOGIN_BLOCK_SECONDS'),
        }),
    },
    {
      provide: LOGIN_THROTTLE_STORAGE,
      inject: [ConfigService, REDIS],
      // QUEUE_PREFIX namespaces all of the app's Redis keys (queues and these counters). The shared
      // connection is used as given (RedisModule closes it); a second of waiting at most, then 503.
      useFactory: (config: ConfigService<Env, true>, redis: Redis) =>
        new RedisThrottlerStorage({ connection: redis, prefix: config.get('QUEUE_PREFIX'), timeoutMs: 1_000 }),
    },
    LoginThrottle,
    ...loginThrottleMetrics,
  ],
  exports: [LOGIN_THROTTLE_OPTIONS, LOGIN_THROTTLE_STORAGE, LoginThrottle, IdentityModule, ...loginThrottleMetricTokens],
})
export class LoginThrottleModule {}
