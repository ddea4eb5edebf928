import { ContextService } from '@acme/nest-context';
import { Logger, type ExecutionContext } from '@nestjs/common';
import { ThrottlerOptionsError } from './throttler.errors';

const context = new ContextService();
const log = new Logger('TenantThrottler');

/** Finds a workspace's limit (from its plan); undefined or null means "the fallback". */
export type WorkspaceLimitLookup = (workspaceId: string, context: ExecutionContext) => number | null | undefined | Promise<number | null | undefined>;

export interface LimitByWorkspaceOptions {
  /**
   * The limit when the request has no workspace, the lookup answers undefined/null or something
   * that is not a number >= 0, or the lookup throws (logged).
   */
  fallback: number;
  /**
   * How long this process reuses a workspace's looked-up limit, in ms (0: look up on every
   * request). A plan change takes up to this long to apply.
   * @default 0
   */
  cacheMs?: number;
}

/** Most workspaces whose limit one process remembers (`cacheMs`); the memo starts afresh past it. */
const MAX_REMEMBERED = 10_000;

/**
 * A `limit` for @nestjs/throttler (a `Resolvable<number>`) looked up per workspace, for plans
 * with different limits. The workspace comes from the request context (register
 * `TenantThrottlerGuard` after the guard that resolves it). Never rejects: whatever goes wrong
 * answers `fallback`, so a lookup failure is never a 500.
 *
 * @example
 * const plans = { Free: 100, Team: 1_000, Enterprise: 10_000 };
 * ThrottlerModule.forRootAsync({
 *   inject: [Workspaces],
 *   useFactory: (workspaces: Workspaces) => ({
 *     storage: new RedisThrottlerStorage({ connection: { url: process.env.REDIS_URL } }),
 *     getTracker: workspaceTracker,
 *     generateKey: keyByTracker,
 *     throttlers: [{
 *       name: 'workspace',
 *       ttl: 60_000,
 *       limit: limitByWorkspace(async (id) => plans[await workspaces.planOf(id)], { fallback: plans.Free, cacheMs: 30_000 }),
 *     }],
 *   }),
 * });
 */
export function limitByWorkspace(lookup: WorkspaceLimitLookup, options: LimitByWorkspaceOptions): (context: ExecutionContext) => Promise<number> {
  if (typeof lookup !== 'function') throw new ThrottlerOptionsError('limitByWorkspace(lookup, options): "lookup" must be a function (workspaceId) => limit.');
  const { fallback, cacheMs = 0 } = options ?? ({} as LimitByWorkspaceOptions);
  if (!isLimit(fallback)) {
    throw new ThrottlerOptionsError(`limitByWorkspace option "fallback" must be a number >= 0 (the limit without a plan), got ${String(fallback)}.`);
  }
  if (!Number.isFinite(cacheMs) || cacheMs < 0) {
    throw new ThrottlerOptionsError(`limitByWorkspace option "cacheMs" must be a number of milliseconds >= 0, got ${String(cacheMs)}.`);
  }
  const remembered = new Map<string, { limit: number; until: number }>();

  return async (execution) => {
    const workspaceId = context.get()?.workspaceId;
    if (!workspaceId) return fallback;
    const known = remembered.get(workspaceId);
    if (known && known.until > Date.now()) return known.limit;
    let limit = fallback;
    try {
      const found = await lookup(workspaceId, execution);
      if (isLimit(found)) limit = found;
      else if (found !== undefined && found !== null) {
        log.warn(`limitByWorkspace: the lookup answered ${String(found)} for a workspace; using the fallback ${fallback}. Return a number >= 0.`);
      }
    } catch (error) {
      log.warn(`limitByWorkspace: the lookup failed (${error instanceof Error ? error.message : String(error)}); using the fallback ${fallback}.`);
      return fallback; // not remembered: the next request looks again
    }
    if (cacheMs > 0) {
      if (remembered.size >= MAX_REMEMBERED) remembered.clear();
      remembered.set(workspaceId, { limit, until: Date.now() + cacheMs });
    }
    return limit;
  };
}

function isLimit(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
