import { defineContextSlot } from '@acme/nest-context';

/** What code inside an audited call adds to its entry with `AuditService.describe`. */
export interface AuditDescription {
  subjectId?: string | number | null;
  before?: unknown;
  after?: unknown;
  metadata?: Record<string, unknown>;
}

const auditCall = defineContextSlot<AuditDescription>('@acme/nest-audit:call');

export function runAuditedCall<T>(description: AuditDescription, fn: () => T): T {
  return auditCall.run(description, fn);
}

/** The description of the innermost audited call in progress, if any. */
export function currentAuditCall(): AuditDescription | undefined {
  return auditCall.get();
}
