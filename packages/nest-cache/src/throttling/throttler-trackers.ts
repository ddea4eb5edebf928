import { createHash } from 'node:crypto';
import { ContextService, isUsableIdentity } from '@acme/nest-context';
import type { ExecutionContext } from '@nestjs/common';
import { normalizeIp, type ThrottlerGenerateKeyFunction, type ThrottlerGetTrackerFunction } from '@nestjs/throttler';

// Stateless: reads nest-context's store, so a plain function (not a provider) can use it.
const context = new ContextService();

/** Longest submitted identity looked at; anything longer is not an identity (one counter for all of them). */
const MAX_SUBMITTED_IDENTITY = 1_024;

/**
 * The client IP as @nestjs/throttler counts it (Express/Fastify `req.ip`, so behind a proxy set
 * `trust proxy`; IPv6 per /64), or 'unknown'.
 */
export function clientIpOf(req: Record<string, any>): string {
  const ip = typeof req?.ip === 'string' ? normalizeIp(req.ip) : '';
  return ip || 'unknown';
}

/**
 * Counts per workspace: `workspace:<id>` from the request context (set by nest-tenancy's
 * `TenancyGuard`, so register `TenantThrottlerGuard` after it), else `ip:<client IP>`.
 */
export const workspaceTracker: ThrottlerGetTrackerFunction = (req) => {
  const workspaceId = context.get()?.workspaceId;
  return workspaceId ? `workspace:${workspaceId}` : `ip:${clientIpOf(req)}`;
};

/**
 * Counts per signed-in user: `user:<actor id>` from the request context when the actor is a
 * User with an id, else `ip:<client IP>`. One counter per user across workspaces.
 */
export const userTracker: ThrottlerGetTrackerFunction = (req) => {
  const actor = context.get()?.actor;
  return actor?.kind === 'User' && actor.id ? `user:${actor.id}` : `ip:${clientIpOf(req)}`;
};

/**
 * For anonymous routes such as sign-in: counts per client IP and submitted identity together
 * (`identity:<ip>:<sha256 of the identity>`), so one address trying many accounts and many
 * addresses trying one account are each limited by a limit of their own (pair it with an
 * IP-only throttler for the first). The identity is `body[field]`, trimmed, NFKC-normalised and
 * lower-cased; a missing, non-string, oversized or control-character value counts as "no
 * identity" (`identity:<ip>:-`), never as an error. Hashed: no addresses in Redis keys.
 *
 * @param field the body field holding the identity. @default 'email'
 */
export function identityTracker(field = 'email'): ThrottlerGetTrackerFunction {
  return (req) => {
    const identity = submittedIdentity(req?.body, field);
    const part = identity === undefined ? '-' : createHash('sha256').update(identity).digest('base64url');
    return `identity:${clientIpOf(req)}:${part}`;
  };
}

/** The normalised identity in `body[field]`, or undefined when there is no usable one. */
export function submittedIdentity(body: unknown, field = 'email'): string | undefined {
  if (typeof body !== 'object' || body === null || !Object.hasOwn(body, field)) return undefined;
  const value: unknown = (body as Record<string, unknown>)[field];
  if (typeof value !== 'string' || value.length > MAX_SUBMITTED_IDENTITY) return undefined;
  const normalized = value.normalize('NFKC').trim().toLowerCase();
  return isUsableIdentity(normalized) ? normalized : undefined;
}

/**
 * A `generateKey` that counts a tracker across every route a throttler guards
 * (`<throttler>:<tracker>`), where @nestjs/throttler's default counts per controller method.
 * Use it for API-wide limits such as "600 requests a minute per workspace".
 */
export const keyByTracker: ThrottlerGenerateKeyFunction = (_context: ExecutionContext, tracker: string, throttlerName: string) => `${throttlerName}:${tracker}`;
