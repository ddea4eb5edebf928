import { isSqlIdentifier } from '@acme/nest-context';
import type { ConnectionOptions } from 'bullmq';
import type { Pool } from 'pg';
import type { KeyObject } from 'node:crypto';
import { assertAuditClusterPrefix } from './audit-cluster-prefix';
import { DEFAULT_AUDIT_TABLE } from './audit-entry';
import { AuditError } from './audit.errors';
import { DEFAULT_REDACT, type AuditCheckpointOptions, type AuditMetricsRegistry, type AuditMigrateOptions, type AuditModuleOptions } from './audit.options';
import { checkpointKeyId, parseSigningKey, type AuditCheckpoint } from './integrity/checkpoint';
import { DEFAULT_PERSONAL } from './integrity/personal-data';
import { resolveAuditSinks, type ResolvedAuditSinks } from './sinks/resolve-sink-options';
import { checkInterval } from './storage/sql-identifier';

/** Stable codes of {@link AuditOptionsError}. */
export type AuditOptionsErrorCode =
  /** An option is invalid; the message names it. */
  | 'AUDIT_INVALID_OPTIONS'
  /** `integrity.checkpoints.signingKey` is not an Ed25519 private key (KeyObject or PEM). */
  | 'AUDIT_INVALID_SIGNING_KEY'
  /** `integrity.sinks` is set without `integrity.chain: true` (sinks follow the chain). */
  | 'AUDIT_SINKS_NEED_CHAIN';

/** Thrown at bootstrap when `AuditModule` options are invalid; the message names the option. */
export class AuditOptionsError extends AuditError {
  constructor(
    message: string,
    readonly code: AuditOptionsErrorCode = 'AUDIT_INVALID_OPTIONS',
  ) {
    super(message);
  }
}

/** The queue settings once defaulted. */
export interface ResolvedAuditQueue {
  connection: ConnectionOptions;
  name: string;
  prefix: string;
  consumer: boolean;
  concurrency: number;
  sendTimeoutMs: number;
  lockDurationMs: number;
  maxStalledCount: number;
  allowVolatileRedis: boolean;
  redeliverAfterMs: number;
}

/** Metrics settings once defaulted; `false` when metrics are off. */
export interface ResolvedAuditMetrics {
  /** `metrics: true` or an object: prom-client must be installed. The default (unset) is on only when it is. */
  required: boolean;
  /** Undefined: prom-client's default registry (known once prom-client is loaded). */
  registry: AuditMetricsRegistry | undefined;
  prefix: string;
}

/** `AuditModuleOptions` validated, with every default applied: what the package's services read. */
export interface ResolvedAuditOptions {
  database: { pool: Pool } | { connectionString: string; max: number };
  /** Undefined: no queue, batches are written directly. */
  queue: ResolvedAuditQueue | undefined;
  table: string;
  schema: string | undefined;
  batch: { maxSize: number; maxWaitMs: number };
  redact: string[];
  /** The storage settings `migrate` creates the table with; false: the module does not create it. */
  migrate: AuditMigrateOptions | false;
  recordForbiddenResponses: boolean;
  /** Undefined: the per-table default under the OS temp directory (it depends on the pool's server). */
  spoolDir: string | undefined;
  spoolOrphanAfterMs: number;
  metrics: ResolvedAuditMetrics | false;
  integrity: ResolvedAuditIntegrity;
}

/** `integrity` once validated and defaulted. */
export interface ResolvedAuditIntegrity {
  chain: boolean;
  personal: string[];
  /** Undefined: no checkpoints are written. */
  checkpoints: ResolvedAuditCheckpoints | undefined;
  /** Undefined: no sinks. */
  sinks: ResolvedAuditSinks | undefined;
}

/** `integrity.checkpoints` once validated: the key parsed, its id known. */
export interface ResolvedAuditCheckpoints {
  signingKey: KeyObject;
  keyId: string;
  everyMs: number;
  publish: ((checkpoints: AuditCheckpoint[]) => Promise<void> | void) | undefined;
}

/** The defaults, in one place (the options' JSDoc and the README state the same). */
export const AUDIT_DEFAULTS = Object.freeze({
  table: DEFAULT_AUDIT_TABLE,
  poolMax: 4,
  batchMaxSize: 500,
  batchMaxWaitMs: 5,
  recordForbiddenResponses: true,
  spoolOrphanAfterMs: 30_000,
  metricsPrefix: 'acme_audit_',
  checkpointEveryMs: 60_000,
  queue: Object.freeze({
    name: 'audit-write',
    prefix: 'bull',
    consumer: true,
    concurrency: 2,
    sendTimeoutMs: 2_000,
    lockDurationMs: 30_000,
    maxStalledCount: 1,
    allowVolatileRedis: false,
    redeliverAfterMs: 10_000,
  }),
});

const INTERVALS = ['chunkInterval', 'compressAfter', 'retainFor'] as const;
const MIGRATE_KEYS = new Set<string>(['timescale', ...INTERVALS, 'partitionInterval', 'partitionsAhead']);
const METRIC_PREFIX = /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*)?$/;

/**
 * Validates `AuditModule` options at bootstrap (failing fast, naming the option, instead of on the
 * first entry) and returns them with every default applied, so no use site applies its own.
 */
export function resolveAuditOptions(options: AuditModuleOptions): ResolvedAuditOptions {
  if (typeof options !== 'object' || options === null) {
    throw new AuditOptionsError('AuditModule.forRoot needs options: { database: { connectionString } } at least.');
  }
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
  integer('spoolOrphanAfterMs', options.spoolOrphanAfterMs, 1_000);
  if (options.redact !== undefined && (!Array.isArray(options.redact) || options.redact.some((p) => typeof p !== 'string'))) {
    throw new AuditOptionsError('AuditModule option "redact" must be a list of field names or dotted paths.');
  }
  if (options.spoolDir !== undefined && (typeof options.spoolDir !== 'string' || options.spoolDir === '')) {
    throw new AuditOptionsError('AuditModule option "spoolDir" must be a directory path (a volume that outlives the container).');
  }
  validateMigrate(options.migrate);
  return {
    database:
      'pool' in database
        ? { pool: database.pool as Pool }
        : { connectionString: database.connectionString as string, max: integer('database.max', database.max, 1) ?? AUDIT_DEFAULTS.poolMax },
    queue: resolveQueue(options.queue),
    table: options.table ?? AUDIT_DEFAULTS.table,
    schema: options.schema,
    batch: { maxSize: maxSize ?? AUDIT_DEFAULTS.batchMaxSize, maxWaitMs: maxWaitMs ?? AUDIT_DEFAULTS.batchMaxWaitMs },
    redact: options.redact ? [...options.redact] : [...DEFAULT_REDACT],
    migrate: options.migrate === true ? {} : options.migrate ? { ...options.migrate } : false,
    recordForbiddenResponses: flag('recordForbiddenResponses', options.recordForbiddenResponses, AUDIT_DEFAULTS.recordForbiddenResponses),
    spoolDir: options.spoolDir,
    spoolOrphanAfterMs: options.spoolOrphanAfterMs ?? AUDIT_DEFAULTS.spoolOrphanAfterMs,
    metrics: resolveMetrics(options.metrics),
    integrity: resolveIntegrity(options.integrity),
  };
}

function resolveIntegrity(integrity: AuditModuleOptions['integrity']): ResolvedAuditIntegrity {
  if (integrity === undefined) return { chain: false, personal: [...DEFAULT_PERSONAL], checkpoints: undefined, sinks: undefined };
  if (typeof integrity !== 'object' || integrity === null || Array.isArray(integrity)) {
    throw new AuditOptionsError('AuditModule option "integrity" must be { chain: true, personal?, checkpoints? }, or left out.');
  }
  const chain = flag('integrity.chain', integrity.chain, false);
  const { personal } = integrity;
  if (personal !== undefined && (!Array.isArray(personal) || personal.some((p) => typeof p !== 'string' || p === ''))) {
    throw new AuditOptionsError('AuditModule option "integrity.personal" must be a list of field names or dotted paths (as "redact" takes them).');
  }
  const checkpoints = resolveCheckpoints(integrity.checkpoints);
  if (checkpoints && !chain) {
    throw new AuditOptionsError('AuditModule option "integrity.checkpoints" signs the heads of the hash chains: set "integrity.chain: true" as well.');
  }
  const sinks = resolveAuditSinks(integrity.sinks, integrity.sinkDelivery, chain);
  return { chain, personal: personal ? [...personal] : [...DEFAULT_PERSONAL], checkpoints, sinks };
}

function resolveCheckpoints(checkpoints: AuditCheckpointOptions | undefined): ResolvedAuditCheckpoints | undefined {
  if (checkpoints === undefined) return undefined;
  if (typeof checkpoints !== 'object' || checkpoints === null || Array.isArray(checkpoints)) {
    throw new AuditOptionsError('AuditModule option "integrity.checkpoints" must be { signingKey, keyId?, everyMs?, publish? }, or left out.');
  }
  let signingKey: KeyObject;
  try {
    signingKey = parseSigningKey(checkpoints.signingKey, 'integrity.checkpoints.signingKey');
  } catch (error) {
    throw new AuditOptionsError(`AuditModule option ${error instanceof Error ? error.message : String(error)}`, 'AUDIT_INVALID_SIGNING_KEY');
  }
  const { keyId, publish } = checkpoints;
  // eslint-disable-next-line no-control-regex -- a key id is one line of printable text
  if (keyId !== undefined && (typeof keyId !== 'string' || keyId.trim() === '' || keyId.length > 200 || /[\u0000-\u001f]/.test(keyId))) {
    throw new AuditOptionsError(
      `AuditModule option "integrity.checkpoints.keyId" must be a non-empty name of at most 200 characters, got ${JSON.stringify(keyId)}.`,
    );
  }
  if (publish !== undefined && typeof publish !== 'function') {
    throw new AuditOptionsError('AuditModule option "integrity.checkpoints.publish" must be a function receiving each batch of new checkpoints.');
  }
  return {
    signingKey,
    keyId: keyId ?? checkpointKeyId(signingKey),
    everyMs: integer('integrity.checkpoints.everyMs', checkpoints.everyMs, 1_000) ?? AUDIT_DEFAULTS.checkpointEveryMs,
    publish,
  };
}

function resolveQueue(queue: AuditModuleOptions['queue']): ResolvedAuditQueue | undefined {
  if (queue === undefined) return undefined;
  if (typeof queue !== 'object' || queue === null) {
    throw new AuditOptionsError('AuditModule option "queue" must be { connection, ... }, or left out to write batches directly.');
  }
  const { connection } = queue;
  if (typeof connection === 'string') {
    throw new AuditOptionsError(
      'AuditModule option "queue.connection" takes BullMQ ConnectionOptions, not a URL string: pass { url: process.env.REDIS_URL } ' +
        '(ioredis parses it), ioredis options ({ host, port, password, tls }) or an ioredis instance.',
    );
  }
  if (typeof connection !== 'object' || connection === null) {
    throw new AuditOptionsError(
      'AuditModule option "queue.connection" is required: BullMQ ConnectionOptions, i.e. ioredis options ({ host, port, password, tls }, ' +
        'or { url: process.env.REDIS_URL }), or an ioredis instance.',
    );
  }
  // A URL is parsed by ioredis itself (`new Redis(url, rest)`, as BullMQ does); only its type is checked here.
  const url = (connection as { url?: unknown }).url;
  if (url !== undefined && (typeof url !== 'string' || url.trim() === '')) {
    throw new AuditOptionsError(`AuditModule option "queue.connection.url" must be a Redis URL such as "redis://host:6379", got ${JSON.stringify(url)}.`);
  }
  if (queue.name !== undefined && (typeof queue.name !== 'string' || queue.name === '' || queue.name.includes(':'))) {
    throw new AuditOptionsError('AuditModule option "queue.name" must be a non-empty string without ":".');
  }
  if (queue.prefix !== undefined && (typeof queue.prefix !== 'string' || queue.prefix === '' || queue.prefix.includes(':'))) {
    throw new AuditOptionsError('AuditModule option "queue.prefix" must be a non-empty string without ":" (on Redis Cluster a hash tag such as "{audit}").');
  }
  const defaults = AUDIT_DEFAULTS.queue;
  // On Redis Cluster every key of the queue must share a slot: refuse a prefix without a hash tag now, not batch by batch.
  assertAuditClusterPrefix(connection, queue.prefix ?? defaults.prefix);
  return {
    connection,
    name: queue.name ?? defaults.name,
    prefix: queue.prefix ?? defaults.prefix,
    consumer: flag('queue.consumer', queue.consumer, defaults.consumer),
    concurrency: integer('queue.concurrency', queue.concurrency, 1) ?? defaults.concurrency,
    sendTimeoutMs: integer('queue.sendTimeoutMs', queue.sendTimeoutMs, 1) ?? defaults.sendTimeoutMs,
    lockDurationMs: integer('queue.lockDurationMs', queue.lockDurationMs, 100) ?? defaults.lockDurationMs,
    maxStalledCount: integer('queue.maxStalledCount', queue.maxStalledCount, 0) ?? defaults.maxStalledCount,
    allowVolatileRedis: flag('queue.allowVolatileRedis', queue.allowVolatileRedis, defaults.allowVolatileRedis),
    redeliverAfterMs: integer('queue.redeliverAfterMs', queue.redeliverAfterMs, 1_000) ?? defaults.redeliverAfterMs,
  };
}

function resolveMetrics(metrics: AuditModuleOptions['metrics']): ResolvedAuditMetrics | false {
  if (metrics === false) return false;
  const defaults = { registry: undefined, prefix: AUDIT_DEFAULTS.metricsPrefix };
  if (metrics === undefined) return { required: false, ...defaults };
  if (metrics === true) return { required: true, ...defaults };
  if (typeof metrics !== 'object' || metrics === null) {
    throw new AuditOptionsError('AuditModule option "metrics" must be a boolean or { registry?, prefix? }.');
  }
  const { registry, prefix } = metrics;
  if (registry !== undefined && (typeof registry?.registerMetric !== 'function' || typeof registry.getSingleMetric !== 'function')) {
    throw new AuditOptionsError('AuditModule option "metrics.registry" must be a prom-client Registry (new Registry() from prom-client).');
  }
  if (prefix !== undefined && (typeof prefix !== 'string' || !METRIC_PREFIX.test(prefix))) {
    throw new AuditOptionsError(
      `AuditModule option "metrics.prefix" must be a valid Prometheus metric name prefix (letters, digits, "_", ":"), got ${JSON.stringify(prefix)}.`,
    );
  }
  return { required: true, registry, prefix: prefix ?? defaults.prefix };
}

function flag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new AuditOptionsError(`AuditModule option "${name}" must be true or false, got ${JSON.stringify(value)}.`);
  return value;
}

function integer(name: string, value: unknown, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= min)) {
    throw new AuditOptionsError(`AuditModule option "${name}" must be an integer of at least ${min}, got ${JSON.stringify(value)}.`);
  }
  return value;
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
      throw new AuditOptionsError(
        `AuditModule option "migrate.${key}" must be a PostgreSQL interval such as '1 day' or '365 days', got ${JSON.stringify(settings[key])}.`,
      );
    }
  }
  if (partitionInterval !== undefined && partitionInterval !== 'day' && partitionInterval !== 'month') {
    throw new AuditOptionsError(`AuditModule option "migrate.partitionInterval" must be 'day' or 'month', got ${JSON.stringify(partitionInterval)}.`);
  }
  if (partitionsAhead !== undefined && !(Number.isInteger(partitionsAhead) && (partitionsAhead as number) >= 0 && (partitionsAhead as number) <= 1000)) {
    throw new AuditOptionsError(`AuditModule option "migrate.partitionsAhead" must be an integer from 0 to 1000, got ${JSON.stringify(partitionsAhead)}.`);
  }
}
