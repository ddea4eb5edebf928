import { assertRedisDurability, withTimeout } from '@acme/nest-context';
import { AuditTimeoutError } from './audit.errors';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Queue, Worker } from 'bullmq';
import { AuditBuffer } from './audit-buffer';
import { auditBatchJob, type AuditBatchJob } from './audit-batch';
import { AuditDelivery } from './audit-delivery';
import type { AuditEntry } from './audit-entry';
import { createAuditMetrics, type AuditMetrics } from './audit-metrics';
import { auditTaskJobName, connectRedis, createAuditConsumer, createAuditProducer, type PostureClient, type RedisInstance } from './audit-queue';
import { AuditSpool } from './audit-spool';
import { defaultSpoolDir } from './audit-spool-dir';
import { AuditWriter, type Queryable } from './audit-writer';
import { personalRules } from './integrity/personal-data';
import { RESOLVED_AUDIT_OPTIONS } from './audit.module-definition';
import type { ResolvedAuditOptions, ResolvedAuditQueue } from './resolve-audit-options';
import { prepareAuditStorage } from './audit-storage-setup';
import pg from 'pg';

/** How often the pipeline reconciles (settles, retries, re-sends) and looks for orphaned spool files. */
const RECONCILE_EVERY_MS = 1_000;
const RECOVER_EVERY_MS = 5_000;
const SPOOL_ROTATE_AFTER_MS = 5_000;
const SETTLE_ON_SHUTDOWN_MS = 1_000;
/** How long startup waits for Redis to read its persistence settings. */
const POSTURE_TIMEOUT_MS = 10_000;

/**
 * Moves entries from the process to the audit table without losing any: a short in-process
 * batch, spooled locally, then one queue job per batch (or a direct write without a queue),
 * and kept outstanding until the table has it (see AuditDelivery). Every write is idempotent
 * by entry id, so retries and recoveries may overlap without duplicating rows.
 */
@Injectable()
export class AuditPipeline implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Audit');
  private pool!: pg.Pool;
  private ownsPool = false;
  private writer!: AuditWriter;
  private producer: Queue | undefined;
  private consumer: Worker | undefined;
  /** Connections duplicated from an ioredis instance given as `queue.connection`: ours to close. */
  private readonly ownedConnections: RedisInstance[] = [];
  private metrics!: AuditMetrics;
  private spool!: AuditSpool;
  private delivery!: AuditDelivery;
  private readonly buffer: AuditBuffer;
  private timers: NodeJS.Timeout[] = [];
  /** Periodic work the consumer runs for job schedulers on the queue (see scheduleTask), by job name. */
  private readonly tasks = new Map<string, () => Promise<unknown>>();

  constructor(@Inject(RESOLVED_AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions) {
    this.buffer = new AuditBuffer((batch) => this.deliver(batch), options.batch.maxSize, options.batch.maxWaitMs);
  }

  async onModuleInit(): Promise<void> {
    const { database, queue } = this.options;
    this.ownsPool = !('pool' in database);
    if ('pool' in database) {
      this.pool = database.pool;
    } else {
      this.pool = new pg.Pool({ connectionString: database.connectionString, max: database.max });
      // An idle connection dropped by the server must not crash the process (the next query reconnects).
      this.pool.on('error', (error) => this.logger.warn(`Audit database connection lost: ${error.message}`));
      // Nor one dropped while checked out (a server restart terminates it mid-batch): pg emits that
      // on the client, where no listener would crash the process; the batch's query fails and retries.
      this.pool.on('connect', (client) => client.on('error', (error) => this.logger.warn(`Audit database connection lost: ${error.message}`)));
    }
    const { table, schema } = this.options;
    const { integrity } = this.options;
    this.writer = new AuditWriter(this.pool, table, schema, integrity.chain ? personalRules(integrity.personal) : undefined);
    try {
      this.metrics = await createAuditMetrics(this.options.metrics);
      if (this.options.migrate) {
        const upkeep = await prepareAuditStorage(this.pool, { table, schema, storage: this.options.migrate }, this.logger);
        if (upkeep) this.timers.push(upkeep);
      }
      if (queue) await this.checkRedisPosture(queue);
    } catch (error) {
      // Startup stops here: release the pool so the process can exit.
      if (this.ownsPool) await this.pool.end().catch(() => undefined);
      throw error;
    }
    if (queue) {
      const producer = await createAuditProducer(queue);
      this.producer = producer.queue;
      if (producer.owned) this.ownedConnections.push(producer.owned);
      this.producer.on('error', () => undefined); // connection errors surface per add() and fall back there
      if (queue.consumer) {
        const consumer = await createAuditConsumer(queue, (job) => this.write(job), this.tasks);
        this.consumer = consumer.worker;
        if (consumer.owned) this.ownedConnections.push(consumer.owned);
        this.consumer.on('error', (error) => this.logger.warn(`Audit consumer: ${error.message}`));
      }
    }
    this.spool = new AuditSpool(this.options.spoolDir ?? defaultSpoolDir(this.pool, table, schema), {
      rotateAfterMs: SPOOL_ROTATE_AFTER_MS,
      orphanAfterMs: this.options.spoolOrphanAfterMs,
    });
    this.delivery = new AuditDelivery({
      producer: this.producer,
      spool: this.spool,
      writer: this.writer,
      write: async (job) => void (await this.write(job)),
      metrics: this.metrics,
      logger: this.logger,
      // Without a queue nothing is sent or redelivered: both only apply to the queue path.
      sendTimeoutMs: queue?.sendTimeoutMs ?? 0,
      redeliverAfterMs: queue?.redeliverAfterMs ?? 0,
    });
    this.timers.push(
      setInterval(() => void this.reconcile(), RECONCILE_EVERY_MS).unref(),
      setInterval(() => void this.recoverOrphans(), RECOVER_EVERY_MS).unref(),
    );
    void this.recoverOrphans();
  }

  /** The pool of the audit table (for queries). */
  get database(): pg.Pool {
    return this.pool;
  }

  /** Queues an entry for the next batch. */
  enqueue(entry: AuditEntry): void {
    this.metrics.recorded(entry.status);
    this.buffer.push(entry);
  }

  /** Writes entries in the caller's transaction (outbox): atomic with the business write. */
  async writeWithin(via: Queryable, entries: AuditEntry[]): Promise<void> {
    for (const entry of entries) this.metrics.recorded(entry.status);
    await this.writer.write(entries, via);
  }

  /**
   * Runs `run` every `everyMs` as a BullMQ job scheduler on the audit queue: once per interval
   * across all the queue's consumers, by whichever takes the job. Only in a process that consumes
   * the queue (call it after module init); resolves false otherwise, or when Redis refused the
   * scheduler, so the caller runs its own timer instead.
   */
  async scheduleTask(name: string, everyMs: number, run: () => Promise<unknown>): Promise<boolean> {
    if (!this.producer || !this.consumer) return false;
    const jobName = auditTaskJobName(name);
    this.tasks.set(jobName, run);
    try {
      await this.producer.upsertJobScheduler(
        `acme-audit:${name}`,
        { every: everyMs },
        // A missed or failed round is simply the next one: no retries, nothing kept.
        { name: jobName, data: {}, opts: { attempts: 1, removeOnComplete: true, removeOnFail: true } },
      );
      return true;
    } catch (error) {
      this.tasks.delete(jobName);
      this.logger.warn(`Audit task "${name}" could not be scheduled on the queue (${String(error)}); this process runs it on a timer.`);
      return false;
    }
  }

  /** Sends everything buffered and waits until it reached the queue, the table or the spool. */
  flush(): Promise<void> {
    return this.buffer.drain();
  }

  async onApplicationShutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await this.buffer.drain();
    // Settle what the table has (giving a busy consumer, maybe this process's, a moment); the
    // rest stays in the spool (and in the queue), and a later process with the directory recovers it.
    await this.delivery?.settleWithin(SETTLE_ON_SHUTDOWN_MS).catch(() => undefined);
    // A consumer mid-batch finishes it; if Redis is gone, closing would wait forever: force it
    // after a while (an unfinished job is re-run elsewhere, and writes are idempotent).
    if (this.consumer) {
      const consumer = this.consumer;
      await withTimeout(consumer.close(), 5_000, () => new AuditTimeoutError(5_000)).catch(() =>
        withTimeout(consumer.close(true), 1_000, () => new AuditTimeoutError(1_000)).catch(() => void consumer.disconnect()),
      );
    }
    await this.spool?.close();
    if (this.producer) {
      const producer = this.producer;
      await withTimeout(producer.close(), 2_000, () => new AuditTimeoutError(2_000)).catch(() => void producer.disconnect());
    }
    // Copies of the app's ioredis instance (BullMQ closes only the connections it opened); the instance stays the app's.
    for (const connection of this.ownedConnections.splice(0)) connection.disconnect();
    if (this.ownsPool) await this.pool.end();
  }

  private async deliver(batch: AuditEntry[]): Promise<void> {
    this.metrics.batch(batch.length);
    await this.delivery.deliver(auditBatchJob(batch));
  }

  /** Writes a batch to the table; resolves with how many of its rows were new. */
  private async write(job: AuditBatchJob): Promise<number> {
    try {
      const inserted = await this.writer.writeColumns(job.columns);
      const now = Date.now();
      const occurredAt = job.columns[1] as (Date | string)[]; // AUDIT_COLUMNS[1] is occurred_at
      this.metrics.written(
        occurredAt.length,
        occurredAt.map((at) => (now - new Date(at).getTime()) / 1000),
      );
      return inserted;
    } catch (error) {
      this.metrics.failure('write');
      throw error;
    }
  }

  private async reconcile(): Promise<void> {
    try {
      await this.spool.maintain();
      await this.delivery.reconcile();
    } catch (error) {
      this.logger.warn(`Audit reconciliation failed, will retry: ${String(error)}`);
    }
  }

  /** Batches spooled by processes that are gone: written directly (or taken over when the table is away). */
  private async recoverOrphans(): Promise<void> {
    try {
      const recovered = await this.spool.recoverOrphans(async (job) => {
        try {
          await this.write(job);
        } catch {
          await this.delivery.deliver(job); // the table is away: ours to retry now
        }
      });
      if (recovered) this.logger.log(`Recovered ${recovered} spooled audit entries left by a stopped process.`);
    } catch (error) {
      this.logger.warn(`Audit spool recovery failed, will retry: ${String(error)}`);
    }
  }

  /** Refuses a Redis that could drop waiting batches silently, unless `allowVolatileRedis`. */
  private async checkRedisPosture(queue: ResolvedAuditQueue): Promise<void> {
    const client = await connectRedis(queue.connection, POSTURE_TIMEOUT_MS);
    try {
      // On Redis Cluster every master keeps batches: each one is checked.
      const servers: PostureClient[] = client.isCluster && typeof client.nodes === 'function' ? client.nodes('master') : [client];
      const problems: string[] = [];
      for (const server of servers) {
        const posture = await assertRedisDurability(server, {
          component: 'AuditModule (queue)',
          optionName: 'queue.allowVolatileRedis',
          allowVolatile: queue.allowVolatileRedis,
        });
        problems.push(...posture.problems);
      }
      this.metrics.volatileRedis(problems.length > 0);
      if (problems.length > 0) this.logger.warn(`Audit queue on a volatile Redis (allowVolatileRedis): ${problems.join(' ')}`);
    } finally {
      await (client.quit?.() ?? Promise.resolve()).catch(() => client.disconnect());
    }
  }
}
