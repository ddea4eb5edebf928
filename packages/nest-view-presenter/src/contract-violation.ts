import { AcmeHttpException } from '@acme/nest-context';
import { HttpStatus } from '@nestjs/common';
import type { z } from 'zod';

/** How `@ViewResponse` treats a response that does not match its schema. */
export type ViewContractMode = 'strict' | 'log' | 'off';

/** One mismatch between a response and its view schema. */
export interface ViewContractIssue {
  /** Where in the response: `items[3].contact_count`, `(root)` for the value itself. */
  path: string;
  /** Zod's issue code (`invalid_type`, `invalid_value`, `invalid_union`, ...). */
  code: string;
  message: string;
}

/** The structured record logged (and passed to `onViolation`) when a response breaks its contract. */
export interface ViewContractViolation {
  code: 'VIEW_CONTRACT_VIOLATION';
  /** The contract's name: `Controller.handler` for `@ViewResponse`, or the `name` option. */
  contract: string;
  mode: 'strict' | 'log';
  /** At most `MAX_ISSUES` issues, so a 1,000-row list of bad rows logs a bounded record. */
  issues: ViewContractIssue[];
  /** How many issues Zod found in total. */
  issueCount: number;
}

const MAX_ISSUES = 20;

/** The code of a broken view contract: in violation records, logs and the 500's body. */
const VIEW_CONTRACT_VIOLATION = 'VIEW_CONTRACT_VIOLATION' as const;

/** `['items', 3, 'contact_count']` -> `items[3].contact_count`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${String(segment)}` : String(segment);
  }
  return out || '(root)';
}

export function toViolation(contract: string, mode: 'strict' | 'log', issues: readonly z.core.$ZodIssue[]): ViewContractViolation {
  return {
    code: VIEW_CONTRACT_VIOLATION,
    contract,
    mode,
    issues: issues.slice(0, MAX_ISSUES).map((issue) => ({ path: formatPath(issue.path), code: issue.code, message: issue.message })),
    issueCount: issues.length,
  };
}

/** One line naming the first paths: the log message and the error message. */
export function describeViolation(violation: ViewContractViolation): string {
  const shown = violation.issues.slice(0, 3).map((issue) => `${issue.path}: ${issue.message}`);
  const more = violation.issueCount > shown.length ? ` (+${violation.issueCount - shown.length} more)` : '';
  return (
    `${violation.contract}: the response does not match its view contract: ${shown.join('; ')}${more}. ` +
    'Fix the presenter that built it (or the schema, if the contract changed).'
  );
}

/**
 * Thrown in 'strict' mode when a response does not match its view schema: the client gets a
 * plain 500 (`{ statusCode: 500, code: 'VIEW_CONTRACT_VIOLATION', message }`, no internals), the
 * log gets the violation, and `message` (on the error, not in the body) names the paths and the fix.
 */
export class ViewContractViolationError extends AcmeHttpException {
  declare readonly code: 'VIEW_CONTRACT_VIOLATION';

  constructor(readonly violation: ViewContractViolation) {
    super(VIEW_CONTRACT_VIOLATION, 'The response did not match its view contract.', HttpStatus.INTERNAL_SERVER_ERROR);
    this.message = describeViolation(violation);
  }
}
