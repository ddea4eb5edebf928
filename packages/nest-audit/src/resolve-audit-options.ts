import { isSqlIdentifier } from '@acme/nest-context';
import { AuditError } from './audit.errors';
import type { AuditModuleOptions } from './audit.options';
import { checkInterval } from './storage/sql-identifier';

/** Thrown at bootstrap when `AuditModule` options are invalid; the message names the option. */
export class AuditOptionsError extends AuditError {
  readonly code = 'AUDIT_INVALID_OPTIONS';
}

const INTERVALS = ['chunkInterval', 'compressAfter', 'retainFor'] as const;
const MIGRATE_KEYS = new Set<string>(['timescale', ...INTERVALS, 'partitionInterval', 'partitionsAhead']);

export function validateAuditOptions(options: AuditModuleOptions): void {
  const database = options.database as Record<string, unknown> | undefined;
  if (!database || (!('pool' in database) && typeof database.connectionString !== 'string')) {
    throw new AuditOptionsError('AuditModule option "database" must be { pool } (a pg Pool) or { connectionString }.');
  }
  for (const name of ['table', 'schema'] as const) {
    const value = options[name];
    if (value !== undefined && !isSqlIdentifier(value)) {
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
  for (const [name, value, min] of [
    ['queue.redeliverAfterMs', options.queue?.redeliverAfterMs, 1_000],
    ['queue.maxStalledCount', options.queue?.maxStalledCount, 0],
    ['spoolOrphanAfterMs', options.spoolOrphanAfterMs, 1_000],
  ] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= min)) {
      throw new AuditOptionsError(`AuditModule option "${name}" must be an integer of at least ${min}, got ${JSON.stringify(value)}.`);
    }
  }
  if (options.redact !== undefined && (!Array.isArray(options.redact) || options.redact.some((p) => typeof p !== 'string'))) {
    throw new AuditOptionsError('AuditModule option "redact" must be a list of field names or dotted paths.');
  }
  validateMigrate(options.migrate);
}

function validateMigrate(migrate: unknown): void {
  if (migrate === undefined || typeof migrate === 'boolean') return;
  if (typeof migrate !== 'object' || migrate === null || Array.isArray(migrate)) {
    throw new AuditOptionsError(`AuditModule option "migrate" must be true, false or the storage options of migrateAudit, got ${JSON.stringify(migrate)}.`);
  }
  const settings = migrate as Record<string, unknown>;
  for (const key of Object.keys(settings)) {
    if (MIGRATE_KEYS.has(key)) continue;
    // The module writes to its own table: a second name here could only disagree with it.
    const hint = key === 'table' || key === 'schema' ? ` set the module's "${key}" option instead;` : '';
    throw new AuditOptionsError(`AuditModule option "migrate.${key}" is not a storage option:${hint} the options are ${[...MIGRATE_KEYS].join(', ')}.`);
  }
  const { timescale, partitionInterval, partitionsAhead } = settings;
  if (timescale !== undefined && timescale !== 'auto' && typeof timescale !== 'boolean') {
    throw new AuditOptionsError(`AuditModule option "migrate.timescale" must be true, false or 'auto', got ${JSON.stringify(timescale)}.`);
  }
  for (const key of INTERVALS) {
    if (settings[key] === undefined) continue;
    try {
      checkInterval(key, settings[key] as string);
    } catch {
      throw new AuditOptionsError(`AuditModule option "migrate.${key}" must be a PostgreSQL interval such as '1 day' or '365 days', got ${JSON.stringify(settings[key])}.`);
    }
  }
  if (partitionInterval !== undefined && partitionInterval !== 'day' && partitionInterval !== 'month') {
    throw new AuditOptionsError(`AuditModule option "migrate.partitionInterval" must be 'day' or 'month', got ${JSON.stringify(partitionInterval)}.`);
  }
  if (partitionsAhead !== undefined && !(Number.isInteger(partitionsAhead) && (partitionsAhead as number) >= 0 && (partitionsAhead as number) <= 1000)) {
    throw new AuditOptionsError(`AuditModule option "migrate.partitionsAhead" must be an integer from 0 to 1000, got ${JSON.stringify(partitionsAhead)}.`);
  }
}
