import { AcmeError } from '@acme/nest-context';

/** Base class of the errors this package throws; `code` (`AUDIT_*`) is stable across versions. */
export abstract class AuditError extends AcmeError {}

/** The queue's Redis or the database did not answer in time. */
export class AuditTimeoutError extends AuditError {
  readonly code = 'AUDIT_TIMEOUT';
  constructor(ms: number) {
    super(`no answer within ${ms} ms: check that Redis and PostgreSQL are reachable; the batch stays in the spool and is retried`);
  }
}

/** `@Audit` was given an action or subject that is not Title Case. */
export class AuditDecoratorError extends AuditError {
  readonly code = 'AUDIT_INVALID_USE';
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
