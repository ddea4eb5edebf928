import { Inject, Injectable, Logger } from '@nestjs/common';
import { LOGIN_THROTTLE_STORAGE } from './login-throttle.options';
import type { RedisThrottlerStorage } from '@acme/nest-cache';

/** Where LoginThrottlerGuard notes the storage keys it counted this request under. */
export const COUNTED_ATTEMPTS = Symbol.for('crm-api:login-attempts');
export type CountedRequest = { [COUNTED_ATTEMPTS]?: string[] };

/** What the login route does after the guard: a successful sign-in gives its counted attempts back. */
@Injectable()
export class LoginThrottle {
  private readonly log = new Logger('LoginThrottle');

  constructor(@Inject(LOGIN_THROTTLE_STORAGE) private readonly storage: RedisThrottlerStorage) {}

  /**
   * Takes back the attempts this request counted, so the limits count failed sign-ins only. A
   * failure here is logged, never thrown: the sign-in itself succeeded.
   */
  async refund(request: object): Promise<void> {
    const keys = (request as CountedRequest)[COUNTED_ATTEMPTS] ?? [];
    await Promise.all(
      keys.map((key) => this.storage.refund(key).catch((error: Error) => this.log.warn(`Could not give a sign-in attempt back: ${error.message}`))),
    );
  }
}
