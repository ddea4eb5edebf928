import { SetMetadata } from '@nestjs/common';
import { ThrottlerOptionsError } from './throttler.errors';

/**
 * What `TenantThrottlerGuard` does when the storage cannot count a request (Redis down or slow):
 * `'open'` lets it through (logged, counted), `'closed'` refuses it with 503
 * CACHE_THROTTLER_UNAVAILABLE and `Retry-After`.
 */
export type ThrottlerUnavailableMode = 'open' | 'closed';

export const WHEN_THROTTLER_UNAVAILABLE = Symbol.for('@acme/nest-cache:when-throttler-unavailable');

/**
 * Sets, for one route or a whole controller, what `TenantThrottlerGuard` does when the rate
 * limits cannot be checked. Fail closed where a limit protects something (sign-in, password
 * reset, costly exports); the guard's default (open unless configured) suits general API limits.
 *
 * @example @Post('login') @WhenThrottlerUnavailable('closed') login() {}
 */
export function WhenThrottlerUnavailable(mode: ThrottlerUnavailableMode): MethodDecorator & ClassDecorator {
  assertMode(mode, 'WhenThrottlerUnavailable(mode)');
  return SetMetadata(WHEN_THROTTLER_UNAVAILABLE, mode);
}

export function assertMode(mode: unknown, where: string): asserts mode is ThrottlerUnavailableMode {
  if (mode !== 'open' && mode !== 'closed') {
    throw new ThrottlerOptionsError(`${where}: expected 'open' or 'closed', got ${JSON.stringify(mode)}.`);
  }
}
