/**
 * Root of every error the @acme packages throw. Each package has its own abstract base on it
 * (`ContextError`, `TenancyError`, `AuditError`, ...), and every code starts with the package's
 * prefix: `CONTEXT_`, `TENANCY_`, `CASL_`, `AUDIT_`, `QUEUES_`, `CACHE_`, `VIEW_`, `TESTING_`.
 * `code` is stable across versions; `message` says what to do and may change.
 */
export abstract class AcmeError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
