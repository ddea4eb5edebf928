import { SetMetadata } from '@nestjs/common';
import { AuditDecoratorError } from './audit.errors';

export const AUDIT_METADATA = Symbol.for('@acme/nest-audit:audit');

/** What an audited call looked like, for options that derive entry fields from it. */
export interface AuditedCall {
  args: unknown[];
  /** The resolved return value (undefined on failure). */
  result: unknown;
}

/** Options of `@Audit`. */
export interface AuditOptions {
  /** Title Case: 'Create', 'Update', 'Delete', 'Stage Change' ... */
  action: string;
  /** Title Case: 'Deal', 'Company' ... */
  subject: string;
  /**
   * The id of the subject. Default: what `AuditService.describe({ subjectId })` set during the
   * call, else `result.id`, else the first argument when it is a string or number.
   */
  subjectId?: (call: AuditedCall) => string | number | null | undefined;
  /** Extra JSON for the entry (redacted like everything else). */
  metadata?: (call: AuditedCall) => Record<string, unknown>;
}

const TITLE_CASE = /^[A-Z][A-Za-z0-9]*( [A-Z0-9][A-Za-z0-9]*)*$/;

/**
 * Audits every call of a provider method (services, queue processors): one entry per call,
 * 'Success' or 'Failure' with the error, duration, actor, workspace and request id from the
 * request context. Methods are wrapped at bootstrap; route and guard metadata is kept.
 *
 * @example @Audit({ action: 'Update', subject: 'Deal' })
 */
export function Audit(options: AuditOptions): MethodDecorator {
  for (const key of ['action', 'subject'] as const) {
    if (typeof options[key] !== 'string' || !TITLE_CASE.test(options[key])) {
      throw new AuditDecoratorError(`@Audit ${key} must be Title Case ('Update', 'Stage Change'), got ${JSON.stringify(options[key])}.`);
    }
  }
  return SetMetadata(AUDIT_METADATA, options);
}
