import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Queue, Worker } from 'bullmq';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { AuditBuffer } from './audit-buffer';
import { DEFAULT_AUDIT_TABLE, type AuditEntry } from './audit-entry';
import { createAuditMetrics, type AuditMetrics } from './audit-metrics';
import { createAuditConsumer, createAuditProducer, type AuditBatchJob } from './audit-queue';
import { AuditSpool } from './audit-spool';
import { AuditWriter, insertParameters, type Queryable } from './audit-writer';
import { AUDIT_MODULE_OPTIONS } from './audit.module-definition';
import type { AuditModuleOptions } from './audit.options';
import { prepareAuditStorage } from './audit-storage-setup';

const REPLAY_EVERY_MS = 5_000;

/**
 * Moves entries from the process to the audit table without losing any: a short in-process
 * batch, then one queue job per batch (or a direct write without a queue), a direct write when
 * the queue does not answer, and the local spool when the database does not either. Every
 * write is idempotent by entry id, so the fallbacks may overlap without duplicating rows.
 */
@Injectable()
export class AuditPipeline implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Audit');
  private pool!: pg.Pool;
  private ownsPool = false;
  private writer!: AuditWriter;
  private producer: Queue | undefined;
  private consumer: Worker | undefined;
  private metrics!: AuditMetrics;
  private readonly buffer: AuditBuffer;
  private readonly spool: AuditSpool;
  private replayTimer: NodeJS.Timeout | undefined;
  private upkeepTimer: NodeJS.Timeout | undefined;

  constructor(@Inject(AUDIT_MODULE_OPTIONS) private readonly options: AuditModuleOptions) {
    this.buffer = new AuditBuffer((batch) => this.deliver(batch), options.batch?.maxSize ?? 500, options.batch?.maxWaitMs ?? 5);
    this.spool = new AuditSpool(options.spoolDir ?? join(tmpdir(), 'acme-audit-spool'));
  }

  async onModuleInit(): Promise<void> {
    const { database, queue } = this.options;
    this.ownsPool = !('pool' in database);
    if ('pool' in database) {
      this.pool = database.pool;
    } else {
      this.pool = new pg.Pool({ connectionString: database.connectionString, max: database.max ?? 4 });
      // An idle connection dropped by the server must not crash the process (the next query reconnects).
      this.pool.on('error', (error) => this.logger.warn(`Audit database connection lost: ${error.message}`));
    }
    const table = this.options.table ?? DEFAULT_AUDIT_TABLE;
    this.writer = new AuditWriter(this.pool, table, this.options.schema);
    this.metrics = await createAuditMetrics();
    if (this.options.migrate) {
      const storage = this.options.migrate === true ? {} : this.options.migrate;
      this.upkeepTimer = await prepareAuditStorage(this.pool, { table, schema: this.options.schema, storage }, this.logger);
    }
    if (queue) {
      this.producer = await createAuditProducer(queue);
      this.producer.on('error', () => undefined); // connection errors surface per add() and fall back there
      if (queue.consumer !== false) {
        this.consumer = await createAuditConsumer(queue, (columns) => this.writeColumns(columns));
        this.consumer.on('error', (error) => this.logger.warn(`Audit consumer: ${error.message}`));
      }
    }
    this.replayTimer = setInterval(() => void this.replaySpool(), REPLAY_EVERY_MS).unref();
    void this.replaySpool();
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

  /** Sends everything buffered and waits until it reached the queue, the table or the spool. */
  flush(): Promise<void> {
    return this.buffer.drain();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.replayTimer);
    clearInterval(this.upkeepTimer);
    await this.buffer.drain();
    // A consumer mid-batch finishes it; if Redis is gone, closing would wait forever: force it
    // after a while (an unfinished job is re-run elsewhere, and writes are idempotent).
    if (this.consumer) {
      const consumer = this.consumer;
      await withTimeout(consumer.close(), 5_000).catch(() => withTimeout(consumer.close(true), 1_000).catch(() => void consumer.disconnect()));
    }
    if (this.producer) {
      const producer = this.producer;
      await withTimeout(producer.close(), 2_000).catch(() => void producer.disconnect());
    }
    if (this.ownsPool) await this.pool.end();
  }

  private async deliver(batch: AuditEntry[]): Promise<void> {
    this.metrics.batch(batch.length);
    try {
      await this.send(batch);
    } catch (error) {
      this.metrics.fallback('spool');
      this.logger.warn(`Audit batch of ${batch.length} spooled (queue and database unavailable): ${String(error)}`);
      try {
        await this.spool.append(batch);
      } catch (spoolError) {
        this.metrics.failure('spool');
        this.logger.error(`Audit batch of ${batch.length} could not be spooled and is lost: ${String(spoolError)}`);
      }
    }
  }

  /** The queue when there is one and it answers in time, else a direct write; throws if both fail. */
  private async send(batch: AuditEntry[]): Promise<void> {
    if (this.producer) {
      try {
        const job: AuditBatchJob = { v: 1, columns: insertParameters(batch) };
        await withTimeout(this.producer.add('batch', job, { jobId: batch[0]!.id }), this.options.queue?.sendTimeoutMs ?? 2_000);
        return;
      } catch (error) {
        this.metrics.failure('enqueue');
        this.metrics.fallback('direct');
        this.logger.warn(`Audit queue unavailable, writing a batch of ${batch.length} directly: ${String(error)}`);
      }
    }
    await this.write(batch);
  }

  private write(batch: AuditEntry[]): Promise<void> {
    return this.writeColumns(insertParameters(batch));
  }

  private async writeColumns(columns: unknown[][]): Promise<void> {
    try {
      await this.writer.writeColumns(columns);
      const now = Date.now();
      const occurredAt = columns[1] as (Date | string)[]; // AUDIT_COLUMNS[1] is occurred_at
      this.metrics.written(occurredAt.length, occurredAt.map((at) => (now - new Date(at).getTime()) / 1000));
    } catch (error) {
      this.metrics.failure('write');
      throw error;
    }
  }

  private async replaySpool(): Promise<void> {
    try {
      const replayed = await this.spool.replay((batch) => this.send(batch));
      if (replayed) this.logger.log(`Replayed ${replayed} spooled audit entries.`);
    } catch (error) {
      this.logger.warn(`Audit spool replay failed, will retry: ${String(error)}`);
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
