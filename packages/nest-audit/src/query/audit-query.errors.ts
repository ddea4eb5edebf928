import { AcmeHttpException } from '@acme/nest-context';
import { HttpStatus } from '@nestjs/common';
import { AuditError } from '../audit.errors';

/** Stable codes of {@link AuditQueryError}; all of them are client errors (HTTP 400). */
export type AuditQueryErrorCode =
  /** `workspaceId` is missing or empty: a query is always scoped to one workspace. */
  | 'AUDIT_WORKSPACE_REQUIRED'
  /** The cursor is not one this API returned (malformed, truncated or edited). */
  | 'AUDIT_INVALID_CURSOR'
  /**
   * A filter has the wrong type or format (not a UUID, not a date or outside years 1 to 9999,
   * limit out of range, longer than 1,000 characters); the message names it.
   */
  | 'AUDIT_INVALID_FILTER'
  /** A text filter (or the cursor) contains a NUL character or an unpaired UTF-16 surrogate; the message names it. */
  | 'AUDIT_INVALID_CHARACTERS'
  /** An export was asked for in a format other than 'ndjson' or 'csv', or with a page's `cursor` or `limit` (an export resumes with `after`). */
  | 'AUDIT_INVALID_EXPORT_QUERY';

/** Thrown by `AuditQuery.find` and `AuditExport.stream` for invalid input, before any SQL runs; map it to 400 Bad Request. */
export class AuditQueryError extends AuditError {
  constructor(
    readonly code: AuditQueryErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * How `GET /audit` answers an {@link AuditQueryError}: 400 with the body every @acme HTTP error has,
 * `{ statusCode: 400, code, message }` (the `AuditQueryError` is its `cause`). On the suite's
 * `AcmeHttpException`, so one exception filter of the app catches it with the others.
 */
export class InvalidAuditQueryException extends AcmeHttpException {
  constructor(error: AuditQueryError) {
    super(error.code, error.message, HttpStatus.BAD_REQUEST, { cause: error });
  }
}
