/** Base class of the errors this package throws; `code` is stable across versions. */
export abstract class AuditError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A peer dependency an option needs is not installed. */
export class AuditMissingDependencyError extends AuditError {
  readonly code = 'AUDIT_MISSING_DEPENDENCY';
}

/** A queued batch in a format this version cannot read (a newer producer during a rolling upgrade). */
export class AuditBatchFormatError extends AuditError {
  readonly code = 'AUDIT_UNKNOWN_BATCH_FORMAT';
  constructor(version: unknown) {
    super(`Unknown audit batch format ${String(version)}: upgrade @acme/nest-audit in the consumer (worker) process to the producer's version.`);
  }
}

/** The queue's Redis did not answer at startup, so its persistence could not be checked. */
export class AuditRedisUnreachableError extends AuditError {
  readonly code = 'AUDIT_REDIS_UNREACHABLE';
  constructor(cause: unknown) {
    super(
      `AuditModule could not reach the queue's Redis at startup to check its persistence (${String(cause)}). ` +
        'Check "queue.connection" and that Redis is running; without a queue, leave "queue" out to write batches directly.',
      { cause },
    );
  }
}
