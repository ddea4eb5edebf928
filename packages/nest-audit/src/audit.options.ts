import type { ConnectionOptions } from 'bullmq';
import type { KeyObject } from 'node:crypto';
import type { AuditCheckpoint } from './integrity/checkpoint';
import type { AuditSink } from './sinks/audit-sink';
import type { AuditSinkDeliveryOptions } from './sinks/resolve-sink-options';
import type { AuditControllerOptions } from './audit.controller';
import type { Pool } from 'pg';
import type { MigrateAuditOptions } from './storage/audit-storage.options';

/** Where the audit table lives: a pg Pool you own, or a connection string (the module owns that pool). */
export type AuditDatabase = { pool: Pool } | { connectionString: string; max?: number };

/** The BullMQ queue entries travel through to the writer. */
export interface AuditQueueOptions {
  /**
   * The queue's Redis, as BullMQ takes it (`ConnectionOptions`, the same shape as @acme/nest-queues'
   * `connection`): ioredis options (`{ host, port, password, tls }`; `{ url: process.env.REDIS_URL }`
   * is parsed by ioredis), or an ioredis `Redis` instance you own. The module opens its own
   * connections from an instance (ioredis `duplicate()`, with the settings the producer and the
   * consumer need) and never closes yours.
   */
  connection: ConnectionOptions;
  /** @default 'audit-write' */
  name?: string;
  /** BullMQ key prefix (hash-tag it on Redis Cluster: '{acme}'). @default 'bull' */
  prefix?: string;
  /**
   * Run the consumer (the batch writer) in this process. Turn off in API processes when a
   * worker process consumes the queue.
   * @default true
   */
  consumer?: boolean;
  /** Consumer concurrency (batches written in parallel). @default 2 */
  concurrency?: number;
  /** How long `add` may take before the batch is written directly instead. @default 2000 */
  sendTimeoutMs?: number;
  /**
   * How long a consumer holds a batch before another may take it over: a consumer that dies
   * mid-batch (crash, SIGKILL) has its batch re-run elsewhere after about this long.
   * @default 30000
   */
  lockDurationMs?: number;
  /**
   * How many times a batch whose consumer died (found stalled) is re-run before its job is
   * failed instead; 0 never re-runs it. A failed batch is written by the producer once
   * `redeliverAfterMs` has passed.
   * @default 1
   */
  maxStalledCount?: number;
  /**
   * Accept a Redis that may drop waiting batches (AOF off, or a `maxmemory-policy` other than
   * `noeviction`): for tests and development. Without it the module refuses to start on such a
   * Redis (`CONTEXT_REDIS_NOT_DURABLE`); with it, `acme_audit_redis_volatile` is 1. Either way the
   * producer re-sends what the queue lost while it runs (see `redeliverAfterMs`).
   * @default false
   */
  allowVolatileRedis?: boolean;
  /**
   * How long a batch the queue took may stay unseen in the table before the producer asks the
   * queue about it: a batch the queue no longer has (Redis restarted without it, a failover to a
   * replica that was behind) is sent again; one whose job failed for good is written directly.
   * @default 10000
   */
  redeliverAfterMs?: number;
}

/**
 * Storage settings of `migrate`: those of `migrateAudit(pool, options)`, without the table and
 * schema (the module's `table` and `schema` are used) and without `now` (the clock is the real one).
 */
export type AuditMigrateOptions = Omit<MigrateAuditOptions, 'table' | 'schema' | 'now'>;

/** Options of `AuditModule.forRoot` / `forRootAsync`. */
export interface AuditModuleOptions {
  database: AuditDatabase;
  /**
   * Move batches through a BullMQ queue to the writer. Leave it out to write batches directly
   * (no Redis needed).
   */
  queue?: AuditQueueOptions;
  /** @default 'audit_log' */
  table?: string;
  /** Schema of the table; unset uses the search_path. */
  schema?: string;
  /** In-process batching before the queue: flush at `maxSize` entries or after `maxWaitMs`. */
  batch?: {
    /** @default 500 */
    maxSize?: number;
    /** @default 5 */
    maxWaitMs?: number;
  };
  /**
   * Field names (at any depth) or dotted paths whose values never leave the process; in
   * `changes` they are recorded as `{ redacted: true }` when they changed.
   * @default ['password', 'passwordHash', 'token', 'accessToken', 'refreshToken', 'secret', 'apiKey', 'authorization', 'cookie']
   */
  redact?: string[];
  /**
   * Create the table (TimescaleDB hypertable when available, else native partitions) at startup.
   * `true` uses the default storage settings; an object sets them as `migrateAudit` takes them
   * (`timescale`, `chunkInterval`, `compressAfter`, `retainFor`, `partitionInterval`,
   * `partitionsAhead`). Without TimescaleDB the module also keeps the partitions up (at startup
   * and every 6 hours) with the same `retainFor`, `partitionInterval` and `partitionsAhead`.
   * @default false
   */
  migrate?: boolean | AuditMigrateOptions;
  /**
   * Record every HTTP request answered 403 that left no 'Failure' entry of its own (a guard of
   * the app refused it) as a 'Failure' with action 'Access', subject 'Route', code 'ACCESS_DENIED'.
   * Denials from @acme/nest-casl are recorded either way, with their action and subject.
   * @default true
   */
  recordForbiddenResponses?: boolean;
  /**
   * Directory of the local spool: every batch is appended there before it travels, and its file
   * is removed once the table has all of its batches. Files of a process that is gone are
   * recovered by the next process with the same directory. Give each audit table its own
   * directory; on containers, a volume that outlives the container.
   * @default `${os.tmpdir()}/acme-audit-spool/<hash of server, database, schema and table>`
   */
  spoolDir?: string;
  /**
   * A spool file nobody touched for this long was left by a process that is gone (live
   * processes touch theirs every second), and is recovered.
   * @default 30000
   */
  spoolOrphanAfterMs?: number;
  /**
   * Prometheus metrics (entries recorded and written, batch sizes, lag, fallbacks, failures,
   * outstanding and redelivered batches, a volatile Redis). `true` or an object requires
   * prom-client; `false` turns them off.
   * @default true when prom-client is installed, else off
   */
  metrics?: boolean | AuditMetricsOptions;
  /**
   * Tamper evidence: a hash chain per workspace, signed checkpoints kept off the database. See
   * the README's "Integrity" section.
   */
  integrity?: AuditIntegrityOptions;
}

/** `integrity` of `AuditModuleOptions`. */
export interface AuditIntegrityOptions {
  /**
   * Hash-chain every entry per workspace: the writer gives each new entry the next position of
   * its workspace's chain and a SHA-256 hash over its content and the previous entry's hash, so
   * an edited, deleted, inserted or reordered row is detected by verification. Rows written
   * with the chain off have no position.
   * @default false
   */
  chain: boolean;
  /**
   * Field names (any depth, case-insensitive, like `redact`) or dotted paths whose values are
   * personal data: the chain commits to them through a salted digest, so they can be erased
   * without breaking it.
   * @default ['email', 'name', 'phone', 'firstName', 'lastName', 'fullName', 'address']
   */
  personal?: string[];
  /** Signed checkpoints of the chain heads. */
  checkpoints?: AuditCheckpointOptions;
  /**
   * Where `AuditStreamService.pump()` sends every workspace's entries in chain order (a SIEM
   * webhook, a bucket): `WebhookAuditSink`, `FileAuditSink` or your own `AuditSink`. Needs `chain`.
   */
  sinks?: AuditSink[];
  /** How the sinks are fed: schedule, batch size, retries. */
  sinkDelivery?: AuditSinkDeliveryOptions;
}

/** `integrity.checkpoints` of `AuditModuleOptions`. */
export interface AuditCheckpointOptions {
  /** Ed25519 private key: a node:crypto KeyObject or PEM (PKCS#8) string. Without it, checkpoints are not written. */
  signingKey: KeyObject | string;
  /**
   * Published with each checkpoint so verifiers pick the right public key.
   * @default the first 16 hex characters of sha256(public key, SPKI DER)
   */
  keyId?: string;
  /** @default 60000 */
  everyMs?: number;
  /**
   * Receives each batch of new checkpoints, to keep them OFF the database (a bucket, another
   * database, a SIEM). Awaited; a throw is logged and retried next round.
   */
  publish?: (checkpoints: AuditCheckpoint[]) => Promise<void> | void;
}

/**
 * Where metrics go: a prom-client `Registry`. Declared structurally (the methods used), so
 * prom-client stays an optional peer and its types are not needed to compile.
 */
export interface AuditMetricsRegistry {
  getSingleMetric(name: string): unknown;
  registerMetric(metric: any): void;
}

/** Prometheus metrics settings (the shape every @acme package with metrics takes). */
export interface AuditMetricsOptions {
  /**
   * Registry to register the metrics in.
   * @default prom-client's global `register` (the one @willsoto/nestjs-prometheus serves)
   */
  registry?: AuditMetricsRegistry;
  /**
   * Prefix of every metric name.
   * @default 'acme_audit_'
   */
  prefix?: string;
}

export interface AuditModuleExtras {
  /** @default true */
  isGlobal?: boolean;
  /** Mount `GET /audit` (the current workspace's entries) with the decorators you give it. */
  controller?: AuditControllerOptions;
}

export const DEFAULT_REDACT = ['password', 'passwordHash', 'token', 'accessToken', 'refreshToken', 'secret', 'apiKey', 'authorization', 'cookie'];
