import { AuditError } from '../audit.errors';

/**
 * `AuditService.erase` was given options it cannot act on (a workspace that is not a UUID, no
 * actor or subject id, an empty id, a NUL character). A client error: map it to 400.
 */
export class AuditEraseError extends AuditError {
  readonly code = 'AUDIT_ERASE_INVALID';
}
