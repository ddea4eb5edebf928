import { AcmeError } from './acme-error';

/** Base class of the errors this package throws; `code` (`CONTEXT_*`) is stable across versions. */
export abstract class ContextError extends AcmeError {}

/** Thrown by `ContextService.require`/`update` when code runs outside any request, job or `run`. */
export class ContextMissingError extends ContextError {
  readonly code = 'CONTEXT_MISSING';
  constructor(operation: string) {
    super(
      `${operation} needs a request context, but none is active. HTTP requests get one from ContextModule's ` +
        'middleware (import ContextModule.forRoot() in your root module); jobs, scripts and tests must wrap ' +
        'the work in ContextService.run(...) or runFromEnvelope(...).',
    );
  }
}

/** Thrown by `fromEnvelope` when a job carries a context envelope this version cannot read. */
export class InvalidEnvelopeError extends ContextError {
  readonly code = 'CONTEXT_INVALID_ENVELOPE';
  constructor(reason: string) {
    super(`Invalid context envelope: ${reason}. Create envelopes with ContextService.captureEnvelope() or toEnvelope().`);
  }
}

/** Thrown at bootstrap when a library imports `ContextModule.forFeature()` but the app has no `forRoot()`. */
export class ContextNotConfiguredError extends ContextError {
  readonly code = 'CONTEXT_NOT_CONFIGURED';
  constructor() {
    super(
      'A module of this app imports ContextModule.forFeature() (the @acme packages do), but the app never imports ' +
        'ContextModule.forRoot(). Add ContextModule.forRoot() to the imports of your root module (and of your ' +
        "worker's module): it opens the request context for every HTTP request and owns its options.",
    );
  }
}
