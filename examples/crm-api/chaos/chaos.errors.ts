/** Codes of what stops a chaos run before it can reconcile (a server that does not start, a failed build...). */
export type ChaosErrorCode = 'CHAOS_BUILD_FAILED' | 'CHAOS_SERVER_START' | 'CHAOS_APP_START' | 'CHAOS_SIGN_IN' | 'CHAOS_INVALID_OPTION' | 'CHAOS_AUDIT_API';

/** A run that could not be carried out; the message says what to fix. Exit code 2 (a failed proof is 1). */
export class ChaosError extends Error {
  constructor(
    readonly code: ChaosErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ChaosError';
  }
}
