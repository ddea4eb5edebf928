import type { AuditModuleOptions } from './audit.options';

/** Thrown at bootstrap when `AuditModule` options are invalid; the message names the option. */
export class AuditOptionsError extends Error {
  readonly code = 'AUDIT_INVALID_OPTIONS';
  constructor(message: string) {
    super(message);
    this.name = 'AuditOptionsError';
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function validateAuditOptions(options: AuditModuleOptions): void {
  const database = options.database as Record<string, unknown> | undefined;
  if (!database || (!('pool' in database) && typeof database.connectionString !== 'string')) {
    throw new AuditOptionsError('AuditModule option "database" must be { pool } (a pg Pool) or { connectionString }.');
  }
  for (const name of ['table', 'schema'] as const) {
    const value = options[name];
    if (value !== undefined && !IDENTIFIER.test(value)) {
      throw new AuditOptionsError(`AuditModule option "${name}" must be a plain SQL identifier, got ${JSON.stringify(value)}.`);
    }
  }
  const { maxSize, maxWaitMs } = options.batch ?? {};
  if (maxSize !== undefined && !(Number.isInteger(maxSize) && maxSize >= 1 && maxSize <= 10_000)) {
    throw new AuditOptionsError('AuditModule option "batch.maxSize" must be an integer from 1 to 10000.');
  }
  if (maxWaitMs !== undefined && !(Number.isFinite(maxWaitMs) && maxWaitMs >= 0 && maxWaitMs <= 60_000)) {
    throw new AuditOptionsError('AuditModule option "batch.maxWaitMs" must be from 0 to 60000.');
  }
  if (options.queue && (options.queue.connection === undefined || options.queue.connection === null)) {
    throw new AuditOptionsError('AuditModule option "queue.connection" is required: a Redis URL or ioredis options.');
  }
  if (options.redact !== undefined && (!Array.isArray(options.redact) || options.redact.some((p) => typeof p !== 'string'))) {
    throw new AuditOptionsError('AuditModule option "redact" must be a list of field names or dotted paths.');
  }
}
