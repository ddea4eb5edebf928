import { keyByTracker, RedisThrottlerStorage, userTracker, workspaceTracker } from '@acme/nest-cache';
import { ConfigService } from '@nestjs/config';
import { SkipThrottle, ThrottlerModule } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import type { Env } from '../config/env.schema';
import { REDIS } from '../redis/redis.module';

/** The two API-wide throttlers (their names are what @SkipThrottle and the Redis keys use). */
export const API_THROTTLERS = { workspace: 'workspace', user: 'user' } as const;

/**
 * Longest wait for Redis per request before the limits are skipped for it (fail open): a Redis
 * outage slows requests by this much at most, and never refuses them.
 */
const RATE_LIMIT_TIMEOUT_MS = 300;

/**
 * The API-wide limits, counted in Redis so every replica shares them: per workspace
 * (RATE_LIMIT_WORKSPACE_PER_MINUTE) and per signed-in user (RATE_LIMIT_USER_PER_MINUTE), each
 * over every route (`keyByTracker`). Routes without a workspace or user (sign-up, refresh) count
 * per client IP. Enforced by `TenantThrottlerGuard`, registered after TenancyGuard (app.module.ts)
 * so the trackers see the workspace and user the request was authorised for, never a header.
 * Keys: `<QUEUE_PREFIX>:throttle:{workspace:workspace:<id>}`, `{user:user:<id>}`.
 */
export function apiRateLimitsModule() {
  return ThrottlerModule.forRootAsync({
    inject: [ConfigService, REDIS],
    useFactory: (config: ConfigService<Env, true>, redis: Redis) => ({
      // The app's shared connection: the storage uses it as given and leaves closing it to RedisModule.
      storage: new RedisThrottlerStorage({ connection: redis, prefix: config.get('QUEUE_PREFIX'), timeoutMs: RATE_LIMIT_TIMEOUT_MS }),
      generateKey: keyByTracker,
      throttlers: [
        { name: API_THROTTLERS.workspace, ttl: 60_000, limit: config.get('RATE_LIMIT_WORKSPACE_PER_MINUTE'), getTracker: workspaceTracker },
        { name: API_THROTTLERS.user, ttl: 60_000, limit: config.get('RATE_LIMIT_USER_PER_MINUTE'), getTracker: userTracker },
      ],
    }),
  });
}

/**
 * Leaves a route or controller out of the API-wide limits: probes and scrapers (health, metrics),
 * and sign-in, which has limits of its own (LoginThrottlerGuard).
 */
export const SkipApiRateLimits = () => SkipThrottle({ [API_THROTTLERS.workspace]: true, [API_THROTTLERS.user]: true });
