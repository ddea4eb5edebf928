import { AsyncLocalStorage } from 'node:async_hooks';

/** What code inside an audited call adds to its entry with `AuditService.describe`. */
export interface AuditDescription {
  subjectId?: string | number | null;
  before?: unknown;
  after?: unknown;
  metadata?: Record<string, unknown>;
}

// One storage per process even with two copies of the package (ESM and CJS).
const KEY = Symbol.for('@acme/nest-audit:call');
const registry = globalThis as unknown as Record<symbol, AsyncLocalStorage<AuditDescription> | undefined>;
const storage = (registry[KEY] ??= new AsyncLocalStorage<AuditDescription>());

export function runAuditedCall<T>(description: AuditDescription, fn: () => T): T {
  return storage.run(description, fn);
}

/** The description of the innermost audited call in progress, if any. */
export function currentAuditCall(): AuditDescription | undefined {
  return storage.getStore();
}
