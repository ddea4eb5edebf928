import { AcmeHttpException } from '@acme/nest-context';
import { HttpStatus } from '@nestjs/common';
import { CacheError } from '../cache.errors';

/**
 * Redis did not answer a rate-limit call in time, or refused it. `TenantThrottlerGuard` turns it
 * into a pass (fail open) or a 503 (fail closed); code that calls the storage itself decides.
 */
export class ThrottlerStorageUnavailableError extends CacheError {
  readonly code = 'CACHE_THROTTLER_UNAVAILABLE';
  constructor(
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`The rate-limit Redis did not answer (${reason}): check the storage's "connection" option and that Redis is up.`, options);
  }
}

/** `new RedisThrottlerStorage(options)` or a throttling helper was given options it cannot use; the message names the option. */
export class ThrottlerOptionsError extends CacheError {
  readonly code = 'CACHE_INVALID_THROTTLER_OPTIONS';
}

/**
 * 429: a rate limit refused the request. `Retry-After` (seconds) says when to try again; the
 * message says it too, unless ThrottlerModule's `errorMessage` option gives one.
 */
export class RateLimitedException extends AcmeHttpException {
  constructor(
    readonly retryAfterSeconds: number,
    message = `Too many requests: try again in ${waitOf(retryAfterSeconds)} (see Retry-After).`,
  ) {
    super('CACHE_RATE_LIMITED', message, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/**
 * 503: the rate limits could not be checked and the route fails closed
 * (`@WhenThrottlerUnavailable('closed')`). `Retry-After` (seconds) is set.
 */
export class RateLimitUnavailableException extends AcmeHttpException {
  constructor(retryAfterSeconds: number, cause?: unknown) {
    super(
      'CACHE_THROTTLER_UNAVAILABLE',
      `Rate limits cannot be checked right now: try again in ${waitOf(retryAfterSeconds)} (see Retry-After).`,
      HttpStatus.SERVICE_UNAVAILABLE,
      { cause },
    );
  }
}

function waitOf(seconds: number): string {
  if (seconds === 1) return '1 second';
  if (seconds < 120) return `${seconds} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}
