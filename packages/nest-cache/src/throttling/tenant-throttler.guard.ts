import { HttpException, Inject, Injectable, Logger, Optional, type ExecutionContext, type Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { CacheMetrics } from '../cache-metrics';
import { RateLimitedException, RateLimitUnavailableException, ThrottlerOptionsError } from './throttler.errors';
import { assertMode, WHEN_THROTTLER_UNAVAILABLE, type ThrottlerUnavailableMode } from './when-throttler-unavailable.decorator';

/** Settings of a guard made by `TenantThrottlerGuard.withOptions`. */
export interface TenantThrottlerGuardOptions {
  /**
   * What to do when the storage cannot count a request, for routes without
   * `@WhenThrottlerUnavailable`: 'open' lets it through, 'closed' answers 503.
   * @default 'open'
   */
  whenUnavailable?: ThrottlerUnavailableMode;
  /** `Retry-After` (seconds) of a 503 when failing closed. @default 5 */
  unavailableRetryAfterSeconds?: number;
}

/** At most one "limits could not be checked" warning per this many ms (the others are counted into it). */
const WARN_EVERY_MS = 10_000;

/**
 * @nestjs/throttler's guard, answering in the suite's shape: past a limit, 429 with code
 * `CACHE_RATE_LIMITED`, `Retry-After` (seconds) and a message saying when to retry, counted by
 * `CacheMetrics.throttled(route)` when TenantCacheModule is imported. When the storage cannot
 * count (`RedisThrottlerStorage` throws CACHE_THROTTLER_UNAVAILABLE), the route's
 * `@WhenThrottlerUnavailable` mode, else the guard's (`'open'` by default; see `withOptions`):
 * open lets the request through with a warning, closed answers 503 CACHE_THROTTLER_UNAVAILABLE
 * with `Retry-After`. Either way the failure is counted (`bypasses_total{reason="throttler_unavailable"}`).
 *
 * Register it after the guards that put workspace and user in the request context (nest-tenancy's
 * `TenancyGuard`), so `workspaceTracker`, `userTracker` and `limitByWorkspace` see them:
 * `{ provide: APP_GUARD, useClass: TenantThrottlerGuard }` listed after `TenancyGuard`.
 */
@Injectable()
export class TenantThrottlerGuard extends ThrottlerGuard {
  /** The mode of routes without `@WhenThrottlerUnavailable`. */
  protected whenUnavailable: ThrottlerUnavailableMode = 'open';
  protected unavailableRetryAfterSeconds = 5;

  private readonly log = new Logger('TenantThrottlerGuard');
  /** Requests already let through because the storage failed: their other throttlers are not tried again. */
  private readonly passedUnchecked = new WeakSet<object>();
  private lastWarnAt = 0;
  private unwarned = 0;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    @Optional() @Inject(CacheMetrics) private readonly metrics?: CacheMetrics,
  ) {
    super(options, storage, reflector);
  }

  /**
   * A guard class with other defaults, for `APP_GUARD` or `@UseGuards`.
   *
   * @example { provide: APP_GUARD, useClass: TenantThrottlerGuard.withOptions({ whenUnavailable: 'closed' }) }
   */
  static withOptions(options: TenantThrottlerGuardOptions): Type<TenantThrottlerGuard> {
    const { whenUnavailable = 'open', unavailableRetryAfterSeconds = 5 } = options ?? {};
    assertMode(whenUnavailable, 'TenantThrottlerGuard.withOptions({ whenUnavailable })');
    if (!Number.isSafeInteger(unavailableRetryAfterSeconds) || unavailableRetryAfterSeconds < 1) {
      throw new ThrottlerOptionsError(
        `TenantThrottlerGuard.withOptions option "unavailableRetryAfterSeconds" must be a whole number of seconds >= 1, got ${String(unavailableRetryAfterSeconds)}.`,
      );
    }
    class ConfiguredTenantThrottlerGuard extends TenantThrottlerGuard {
      protected override whenUnavailable = whenUnavailable;
      protected override unavailableRetryAfterSeconds = unavailableRetryAfterSeconds;
    }
    Injectable()(ConfiguredTenantThrottlerGuard);
    return ConfiguredTenantThrottlerGuard;
  }

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const { req, res } = this.getRequestResponse(props.context);
    if (this.passedUnchecked.has(req)) return true;
    try {
      return await super.handleRequest(props);
    } catch (error) {
      if (!isStorageUnavailable(error)) throw error;
      const mode =
        this.reflector.getAllAndOverride<ThrottlerUnavailableMode | undefined>(WHEN_THROTTLER_UNAVAILABLE, [
          props.context.getHandler(),
          props.context.getClass(),
        ]) ?? this.whenUnavailable;
      // Counted with the cache's bypasses: a request that went past the limiter unchecked (open) or was refused for it (closed).
      (this.metrics as { bypassed(reason: string): void } | undefined)?.bypassed('throttler_unavailable');
      this.warn(mode, routeOf(props.context, req), (error as Error).message);
      if (mode === 'open') {
        this.passedUnchecked.add(req);
        return true;
      }
      this.setResponseHeader(res, 'Retry-After', this.unavailableRetryAfterSeconds);
      throw new RateLimitUnavailableException(this.unavailableRetryAfterSeconds, error);
    }
  }

  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const { req, res } = this.getRequestResponse(context);
    const retryAfter = Math.max(1, detail.timeToBlockExpire);
    this.setResponseHeader(res, 'Retry-After', retryAfter);
    this.metrics?.throttled(routeOf(context, req));
    const custom = !Array.isArray(this.options) && this.options.errorMessage !== undefined;
    throw new RateLimitedException(retryAfter, custom ? await this.getErrorMessage(context, detail) : undefined);
  }

  /** One warning per WARN_EVERY_MS, saying how many went unlogged since the last. */
  private warn(mode: ThrottlerUnavailableMode, route: string, reason: string): void {
    const now = Date.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) {
      this.unwarned++;
      return;
    }
    const more = this.unwarned > 0 ? ` (and ${this.unwarned} more since the last warning)` : '';
    this.lastWarnAt = now;
    this.unwarned = 0;
    const outcome = mode === 'open' ? 'let through unlimited' : 'refused with 503';
    this.log.warn(`Rate limits could not be checked for ${route}: request ${outcome}${more}. ${reason}`);
  }
}

/** The storage's CACHE_THROTTLER_UNAVAILABLE (by code, so a second copy of this package still matches). */
function isStorageUnavailable(error: unknown): boolean {
  return error instanceof Error && !(error instanceof HttpException) && (error as { code?: unknown }).code === 'CACHE_THROTTLER_UNAVAILABLE';
}

/** The route template (`GET /items/:id`) on Express and Fastify, else `Controller.method`: bounded label values. */
function routeOf(context: ExecutionContext, req: Record<string, any>): string {
  const template: unknown = req?.routeOptions?.url ?? (typeof req?.route?.path === 'string' ? `${req.baseUrl ?? ''}${req.route.path}` : undefined);
  if (typeof template === 'string' && template.length > 0) return `${String(req.method ?? '')} ${template}`.trim();
  return `${context.getClass().name}.${context.getHandler().name}`;
}
