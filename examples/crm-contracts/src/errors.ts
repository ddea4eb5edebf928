import { z } from 'zod';

/**
 * Every error code the API answers with, and its HTTP status. Codes are machine identifiers in
 * UPPER_SNAKE_CASE like the @acme packages' codes (they are never displayed: `message` is); a
 * client switches on `code`, never on `message`.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  INVALID_ID: 400,
  INVALID_CHARACTERS: 400,
  PASSWORD_TOO_WEAK: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  REFRESH_TOKEN_INVALID: 401,
  REFRESH_TOKEN_REUSED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  WORKSPACE_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  EMAIL_TAKEN: 409,
  MEMBER_EXISTS: 409,
  LAST_ADMIN: 409,
  DEAL_INVALID_TRANSITION: 409,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  /** The workspace's or the user's requests a minute are used up (any route but sign-in); see Retry-After. */
  CACHE_RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];
export const ErrorCode = z.enum(ERROR_CODES);

/** The body of every error response. `issues` lists field problems (empty when there are none). */
export const ErrorBody = z
  .object({
    statusCode: z.int(),
    code: ErrorCode,
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })),
    request_id: z.string().nullable(),
  })
  .meta({ id: 'ErrorBody' });
export type ErrorBody = z.infer<typeof ErrorBody>;
