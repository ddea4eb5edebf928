import { AuditError } from '../audit.errors';

/** Stable codes of {@link AuditVerifyError}. */
export type AuditVerifyErrorCode =
  /** An option of `verify` has the wrong type or format (the message names it): a client error. */
  | 'AUDIT_VERIFY_INVALID'
  /** The table has no chain columns or chain tables: its migration ran without `integrity`. */
  | 'AUDIT_INTEGRITY_NOT_ENABLED';

/** Thrown by verification for input it cannot act on, before any entry is read. */
export class AuditVerifyError extends AuditError {
  constructor(
    readonly code: AuditVerifyErrorCode,
    message: string,
  ) {
    super(message);
  }
}
