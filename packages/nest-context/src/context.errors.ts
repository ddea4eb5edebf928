/** Base class of the errors this package throws; `code` is stable across versions. */
export abstract class ContextError extends Error {
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Thrown by `ContextService.require`/`update` when code runs outside any request, job or `run`. */
export class ContextMissingError extends ContextError {
  readonly code = 'ACME_CONTEXT_MISSING';
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
  readonly code = 'ACME_CONTEXT_INVALID_ENVELOPE';
  constructor(reason: string) {
    super(`Invalid context envelope: ${reason}. Create envelopes with ContextService.captureEnvelope() or toEnvelope().`);
  }
}
