import { ContextError } from './context.errors';
import type { ContextModuleOptions } from './context.options';

/** Thrown at bootstrap when `ContextModule` options are invalid; the message names the option. */
export class ContextOptionsError extends ContextError {
  readonly code = 'CONTEXT_INVALID_OPTIONS';
}

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** Fails fast at bootstrap instead of on the first request. */
export function validateContextOptions(options: ContextModuleOptions): void {
  const { requestIdHeader, echoRequestId, generateRequestId, mountMiddleware } = options;
  if (requestIdHeader !== undefined && (typeof requestIdHeader !== 'string' || !HEADER_NAME.test(requestIdHeader))) {
    throw new ContextOptionsError(`ContextModule option "requestIdHeader" must be an HTTP header name, got ${JSON.stringify(requestIdHeader)}.`);
  }
  if (echoRequestId !== undefined && typeof echoRequestId !== 'boolean') {
    throw new ContextOptionsError('ContextModule option "echoRequestId" must be a boolean.');
  }
  if (generateRequestId !== undefined && typeof generateRequestId !== 'function') {
    throw new ContextOptionsError('ContextModule option "generateRequestId" must be a function returning a string.');
  }
  if (mountMiddleware !== undefined && typeof mountMiddleware !== 'boolean') {
    throw new ContextOptionsError('ContextModule option "mountMiddleware" must be a boolean.');
  }
}
