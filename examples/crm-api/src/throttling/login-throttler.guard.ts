import { AuditService } from '@acme/nest-audit';
import { ThrottlerStorageUnavailableError, type RedisThrottlerStorage } from '@acme/nest-cache';
import { Inject, Injectable, Logger, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerGuard, type ThrottlerLimitDetail, type ThrottlerModuleOptions, type ThrottlerRequest } from '@nestjs/throttler';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { IdentityDirectory } from '../auth/identity.directory';
import { ApiError } from '../common/api-error';
import { EMAIL_KEY, LOGIN_THROTTLE_OPTIONS, LOGIN_THROTTLE_STORAGE, loginEmailOf } from './login-throttle.options';
import { COUNTED_ATTEMPTS, type CountedRequest } from './login-throttle.service';
import { LOGIN_THROTTLE_ERRORS, LOGIN_THROTTLED } from './login-throttle.metrics';

/** Seconds a client is told to wait when the limits cannot be checked. */
const UNAVAILABLE_RETRY_AFTER = 5;

/**
 * @nestjs/throttler's guard for POST /auth/login with the limits of loginThrottleOptions, counted
 * in Redis. A refused attempt answers 429 TOO_MANY_REQUESTS with Retry-After and is audited as a
 * 'Sign In' Failure (the service's @Audit never runs). When Redis cannot count, sign-in fails
 * closed: 503 SERVICE_UNAVAILABLE, a warning and `login_throttle_errors_total`; sessions already
 * open keep working (refresh and every other route never touch these limits).
 */
@Injectable()
export class LoginThrottlerGuard extends ThrottlerGuard {
  private readonly log = new Logger('LoginThrottle');

  constructor(
    @Inject(LOGIN_THROTTLE_OPTIONS) options: ThrottlerModuleOptions,
    @Inject(LOGIN_THROTTLE_STORAGE) storage: RedisThrottlerStorage,
    reflector: Reflector,
    private readonly audit: AuditService,
    private readonly identity: IdentityDirectory,
    @InjectMetric(LOGIN_THROTTLED) private readonly throttled: Counter<'limit'>,
    @InjectMetric(LOGIN_THROTTLE_ERRORS) private readonly errors: Counter,
  ) {
    super(options, storage, reflector);
  }

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const { req, res } = this.getRequestResponse(props.context);
    try {
      await super.handleRequest(props);
    } catch (error) {
      if (!(error instanceof ThrottlerStorageUnavailableError)) throw error;
      this.errors.inc();
      this.log.warn(`Sign-in refused with 503: the attempt could not be counted. ${error.message}`);
      this.setResponseHeader(res, 'Retry-After', UNAVAILABLE_RETRY_AFTER);
      const refusal = new ApiError('SERVICE_UNAVAILABLE', 'Sign-in is unavailable for a moment: try again in a few seconds.');
      await this.recordFailure(req, refusal, { reason: 'Throttle Storage Unavailable' });
      throw refusal;
    }
    // Remembered so a successful sign-in can give its attempts back (LoginThrottle.refund).
    const tracker = await props.getTracker(req, props.context);
    ((req as CountedRequest)[COUNTED_ATTEMPTS] ??= []).push(props.generateKey(props.context, tracker, props.throttler.name ?? 'default'));
    return true;
  }

  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const { req, res } = this.getRequestResponse(context);
    const retryAfter = Math.max(1, detail.timeToBlockExpire);
    const limit = detail.key.startsWith(EMAIL_KEY) ? 'Email' : 'IP Address';
    this.throttled.inc({ limit });
    this.setResponseHeader(res, 'Retry-After', retryAfter);
    const refusal = new ApiError('TOO_MANY_REQUESTS', `Too many sign-in attempts: try again in ${waitOf(retryAfter)} (see Retry-After).`);
    await this.recordFailure(req, refusal, { throttled_by: limit, retry_after_seconds: retryAfter });
    throw refusal;
  }

  /** A 'Sign In' Failure naming the account tried, like a wrong password's entry. Never throws. */
  private async recordFailure(req: Record<string, unknown>, error: ApiError, metadata: Record<string, unknown>): Promise<void> {
    const email = loginEmailOf(req.body);
    const user = email ? await this.identity.userByEmail(email).catch(() => undefined) : undefined;
    this.audit.recordNow({ action: 'Sign In', subject: 'User', subjectId: user?.id ?? null, error, metadata });
  }
}

function waitOf(seconds: number): string {
  if (seconds < 120) return `${seconds} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}
