import { createHash } from 'node:crypto';
import type { ExecutionContext } from '@nestjs/common';
import { normalizeIp, type ThrottlerModuleOptions } from '@nestjs/throttler';
import type { Env } from '../config/env.schema';

export const LOGIN_THROTTLE_OPTIONS = Symbol.for('crm-api:login-throttle-options');
export const LOGIN_THROTTLE_STORAGE = Symbol.for('crm-api:login-throttle-storage');

/** Storage keys of the two limits; the guard tells them apart by these prefixes. */
export const IP_KEY = 'login:ip:';
export const EMAIL_KEY = 'login:email:';

/**
 * The sign-in email as the limit counts it: trimmed and lower-cased (sign-in matches emails
 * case-insensitively, so `ADA@x.test` and ` ada@x.test` are one account and one counter).
 * Undefined when the body has no usable email (validation answers 400 after the guard).
 */
export function loginEmailOf(body: unknown): string | undefined {
  const email = (body as { email?: unknown } | null | undefined)?.email;
  if (typeof email !== 'string') return undefined;
  const normalized = email.trim().toLowerCase();
  return normalized.length > 0 && normalized.length <= 254 ? normalized : undefined;
}

const bodyOf = (context: ExecutionContext) => context.switchToHttp().getRequest<{ body?: unknown }>().body;

/**
 * Two limits on POST /auth/login, checked in this order (equal windows keep the order): per client
 * IP (Express `req.ip`, so behind a proxy set TRUST_PROXY; IPv6 per /64), then per email. An
 * attempt counts before the password is checked, so parallel guesses cannot slip past the limit;
 * a successful sign-in gives its attempt back (LoginThrottle.refund), so the limits count failures.
 */
export function loginThrottleOptions(
  env: Pick<Env, 'LOGIN_IP_LIMIT' | 'LOGIN_EMAIL_LIMIT' | 'LOGIN_WINDOW_SECONDS' | 'LOGIN_BLOCK_SECONDS'>,
): ThrottlerModuleOptions {
  const ttl = env.LOGIN_WINDOW_SECONDS * 1000;
  const blockDuration = env.LOGIN_BLOCK_SECONDS * 1000;
  return {
    // Retry-After is set by the guard itself (the library would name it Retry-After-<throttler>);
    // no X-RateLimit-* headers: they would tell a guesser how many tries are left.
    setHeaders: false,
    throttlers: [
      {
        name: 'login-ip',
        limit: env.LOGIN_IP_LIMIT,
        ttl,
        blockDuration,
        getTracker: (req) => normalizeIp(typeof req.ip === 'string' ? req.ip : '') || 'unknown',
        generateKey: (_context, tracker) => `${IP_KEY}${tracker}`,
      },
      {
        name: 'login-email',
        limit: env.LOGIN_EMAIL_LIMIT,
        ttl,
        blockDuration,
        // No usable email: the request fails validation; only the IP limit counts it.
        skipIf: (context) => loginEmailOf(bodyOf(context)) === undefined,
        getTracker: (req) => loginEmailOf(req.body) ?? '',
        // Hashed: no email addresses in Redis keys, and a bounded key length.
        generateKey: (_context, tracker) => `${EMAIL_KEY}${createHash('sha256').update(tracker).digest('base64url')}`,
      },
    ],
  };
}
