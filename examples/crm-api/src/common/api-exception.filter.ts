import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { ContextService } from '@acme/nest-context';
import { ERROR_STATUS, type ErrorBody, type ErrorCode } from '@acme-examples/crm-contracts';
import { ApiError, type ApiIssue } from './api-error';
import { classifyDatabaseError } from './database-errors';

// The packages' codes, as the contract's. 404s stay indistinguishable: a row of another
// workspace, a row the ability hides and a row that does not exist all answer NOT_FOUND.
const PACKAGE_CODES: Record<string, ErrorCode> = {
  TENANCY_NOT_FOUND: 'NOT_FOUND',
  CASL_NOT_FOUND: 'NOT_FOUND',
  CASL_FORBIDDEN: 'FORBIDDEN',
  CASL_NO_POLICY: 'FORBIDDEN',
  CASL_UNAUTHENTICATED: 'UNAUTHENTICATED',
  TENANCY_WORKSPACE_REQUIRED: 'UNAUTHENTICATED',
  TENANCY_WORKSPACE_INVALID: 'UNAUTHENTICATED',
  TENANCY_WORKSPACE_NOT_FOUND: 'WORKSPACE_NOT_FOUND',
  TENANCY_WORKSPACE_MISMATCH: 'VALIDATION_FAILED',
  VIEW_CONTRACT_VIOLATION: 'INTERNAL_ERROR',
  // @acme/nest-cache's rate limits (TenantThrottlerGuard): the code passes through, with Retry-After.
  CACHE_RATE_LIMITED: 'CACHE_RATE_LIMITED',
  CACHE_THROTTLER_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
};

// body-parser's error types (raised before any route runs).
const BODY_PARSER_TYPES: Record<string, ErrorCode> = {
  'entity.parse.failed': 'MALFORMED_JSON',
  'entity.too.large': 'PAYLOAD_TOO_LARGE',
  'encoding.unsupported': 'UNSUPPORTED_MEDIA_TYPE',
  'charset.unsupported': 'UNSUPPORTED_MEDIA_TYPE',
  'request.aborted': 'VALIDATION_FAILED',
};

const BY_STATUS: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
};

const MESSAGES: Partial<Record<ErrorCode, string>> = {
  MALFORMED_JSON: 'The request body is not valid JSON.',
  PAYLOAD_TOO_LARGE: 'The request body is too large.',
  NOT_FOUND: 'Not found.',
  INTERNAL_ERROR: 'Something went wrong on our side; the request id identifies it in the logs.',
  SERVICE_UNAVAILABLE: 'The service is unavailable for a moment: try again in a few seconds (see Retry-After).',
};

// Unique constraints a client can collide with, by name, and the code that tells it which.
const UNIQUE_CONFLICTS: Record<string, { code: ErrorCode; message: string }> = {
  users_email_key: { code: 'EMAIL_TAKEN', message: 'An account with this email exists: sign in instead.' },
  memberships_workspace_user_key: { code: 'MEMBER_EXISTS', message: 'That user is already a member of this workspace.' },
};

/** Seconds a client is told to wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = 5;

interface HttpResponse {
  headersSent?: boolean;
  getHeader(name: string): unknown;
  setHeader(name: string, value: string): void;
  status(code: number): { json(body: unknown): void };
}

/**
 * Every error leaves as the contract's ErrorBody `{ statusCode, code, message, issues, request_id }`
 * with a code from @acme-examples/crm-contracts. Bad input is a 4xx, never a 500; a 500 never
 * carries internals.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  constructor(private readonly context: ContextService) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const response = host.switchToHttp().getResponse<HttpResponse>();
    const request = host.switchToHttp().getRequest<{ method?: string; url?: string }>();
    const { code, message, issues } = this.describe(exception, request);
    const status = ERROR_STATUS[code];
    if (code === 'SERVICE_UNAVAILABLE') this.logger.warn({ err: exception, code, msg: 'request refused: a service it needs is unavailable' });
    else if (status >= 500) this.logger.error({ err: exception, code, msg: 'request failed' });
    const body: ErrorBody = { statusCode: status, code, message, issues, request_id: this.context.get()?.requestId ?? null };
    if (response.headersSent) return;
    // A guard that answers 503 itself may have said how long to wait already.
    if (status === 503 && response.getHeader('retry-after') === undefined) response.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    response.status(status).json(body);
  }

  private describe(exception: unknown, request: { method?: string; url?: string }): { code: ErrorCode; message: string; issues: ApiIssue[] } {
    if (exception instanceof ApiError) return { code: exception.code, message: exception.message, issues: exception.issues };
    // Nest's Express adapter wraps body-parser errors in an HttpException; the original is the cause.
    const raw = exception as { type?: unknown; cause?: { type?: unknown } } | undefined;
    const parserType = raw?.type ?? raw?.cause?.type;
    if (typeof parserType === 'string' && BODY_PARSER_TYPES[parserType]) {
      const code = BODY_PARSER_TYPES[parserType];
      return { code, message: MESSAGES[code] ?? 'The request body cannot be read.', issues: [] };
    }
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      const packageCode = typeof body === 'object' && body !== null ? (body as { code?: unknown }).code : undefined;
      const mapped = typeof packageCode === 'string' ? PACKAGE_CODES[packageCode] : undefined;
      if (mapped) return { code: mapped, message: mapped === 'NOT_FOUND' ? MESSAGES.NOT_FOUND! : messageOf(body, exception), issues: [] };
      const status = exception.getStatus();
      // Nest's router answers unknown routes with a bare NotFoundException.
      if (status === 404 && exception.message.startsWith('Cannot ')) {
        return { code: 'ROUTE_NOT_FOUND', message: `No route ${request.method ?? ''} ${request.url?.split('?')[0] ?? ''}.`, issues: [] };
      }
      const code = BY_STATUS[status] ?? (status < 500 ? 'VALIDATION_FAILED' : 'INTERNAL_ERROR');
      return { code, message: status >= 500 ? (MESSAGES[code] ?? MESSAGES.INTERNAL_ERROR!) : messageOf(body, exception), issues: [] };
    }
    // Drizzle wraps the driver's errors: classifyDatabaseError reads through the causes.
    const failure = classifyDatabaseError(exception);
    switch (failure?.kind) {
      // A write that breaks a unique constraint is the client's conflict (two requests racing included).
      case 'Unique Violation': {
        const known = failure.constraint ? UNIQUE_CONFLICTS[failure.constraint] : undefined;
        return { code: known?.code ?? 'CONFLICT', message: known?.message ?? 'A record with these values exists already.', issues: [] };
      }
      // A bad literal slipping past validation is the client's bad input.
      case 'Invalid Value':
        return { code: 'VALIDATION_FAILED', message: 'A value has the wrong format.', issues: [] };
      case 'Invalid Characters':
        return { code: 'INVALID_CHARACTERS', message: 'A value contains a character that cannot be stored (such as NUL).', issues: [] };
      // PostgreSQL is down, restarting or out of connections: the pools reconnect by themselves once it is back.
      case 'Unavailable':
        return { code: 'SERVICE_UNAVAILABLE', message: MESSAGES.SERVICE_UNAVAILABLE!, issues: [] };
      default:
        return { code: 'INTERNAL_ERROR', message: MESSAGES.INTERNAL_ERROR!, issues: [] };
    }
  }
}

function messageOf(body: string | object, exception: Error): string {
  if (typeof body === 'string') return body;
  const message = (body as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.join('; ');
  return exception.message;
}
