import { AUDIT_SELECT_LIST, auditEntryFromRow } from '../query/audit-row';
import { GLOBAL_CHAIN } from '../integrity/chain-content';
import { inTransaction, type SqlPool, type SqlQueryable } from '../storage/sql-client';
import type { AuditTableName } from '../storage/sql-identifier';
import type { AuditSink, AuditSinkBatch } from './audit-sink';

/** How the pump delivers, once defaulted (`integrity.sinkDelivery`). */
export interface AuditSinkDeliverySettings {
  everyMs: number;
  batchSize: number;
  maxAttempts: number;
  retryAfterMs: number;
  maxRetryAfterMs: number;
}

/** A pg Pool as the pump uses it: one client per batch, for the transaction that holds the position. */
/** The pool the pump reads and locks positions with. */
export type AuditSinkPool = SqlPool;

/** What one round did, for logs and tests. */
export interface AuditPumpRound {
  /** Entries sinks accepted. */
  delivered: number;
  /** Batches that failed this round (retried later). */
  failed: number;
  /** Batches given up on after `maxAttempts` and stored in `<table>_sink_dead_letters`. */
  deadLettered: number;
}

interface Logger {
  warn(message: string): void;
  error(message: string): void;
}

/** Workspaces read per query, and batches one workspace may send per round (others get their turn). */
const WORKSPACES_PAGE = 500;
const BATCHES_PER_ROUND = 100;

/**
 * Moves every sink along every workspace's chain. A workspace's position row is locked
 * (FOR UPDATE SKIP LOCKED) from reading the batch to storing the outcome, so two pumps (two
 * processes, or two rounds) never send the same batch: the second skips that workspace. The
 * position moves only after `send` succeeded; a failure keeps the batch (the same range is
 * retried, with exponential backoff) until `maxAttempts`, when it is dead-lettered and the
 * position moves on.
 */
export class AuditSinkPump {
  private readonly positions: string;
  private readonly deadLetters: string;
  private readonly heads: string;
  private readonly entriesOf: { workspace: string; global: string };

  constructor(
    private readonly db: AuditSinkPool,
    name: AuditTableName,
    private readonly sinks: readonly AuditSink[],
    private readonly settings: AuditSinkDeliverySettings,
    private readonly logger: Logger,
  ) {
    this.positions = name.derived('_sink_positions');
    this.deadLetters = name.derived('_sink_dead_letters');
    this.heads = name.derived('_chain_heads');
    const read = (where: string) =>
      `SELECT ${AUDIT_SELECT_LIST}, "chain_seq"::text AS "position" FROM ${name.qualified}
        WHERE ${where} AND "chain_seq" > $2::bigint AND ($3::bigint IS NULL OR "chain_seq" <= $3::bigint)
        ORDER BY "chain_seq" LIMIT $4`; // by the column: a text alias of the same name would sort '10' before '2'
    // Entries without a workspace chain under the nil UUID: stored with a null workspace_id.
    this.entriesOf = { workspace: read('"workspace_id" = $1::uuid'), global: read('"workspace_id" IS NULL AND $1::uuid IS NOT NULL') };
  }

  /** One round: every sink, every workspace whose chain is ahead of the sink's position and not waiting for a retry. */
  async round(): Promise<AuditPumpRound> {
    const result: AuditPumpRound = { delivered: 0, failed: 0, deadLettered: 0 };
    for (const sink of this.sinks) {
      let after = GLOBAL_CHAIN;
      let first = true;
      for (;;) {
        const { rows } = await this.db.query(
          `SELECT h."workspace_id"::text AS "workspace_id" FROM ${this.heads} h
             LEFT JOIN ${this.positions} p ON p."sink" = $1 AND p."workspace_id" = h."workspace_id"
            WHERE (h."workspace_id" > $2::uuid OR ($3 AND h."workspace_id" = $2::uuid)) AND h."seq" > COALESCE(p."seq", 0)
              AND (p."retry_at" IS NULL OR p."retry_at" <= now())
            ORDER BY h."workspace_id" LIMIT ${WORKSPACES_PAGE}`,
          [sink.name, after, first],
        );
        first = false;
        for (const { workspace_id: workspaceId } of rows as { workspace_id: string }[]) await this.workspace(sink, workspaceId, result);
        if (rows.length < WORKSPACES_PAGE) break;
        after = (rows[rows.length - 1] as { workspace_id: string }).workspace_id;
      }
    }
    return result;
  }

  /** Sends a workspace's batches until it is caught up, a send fails, or its share of the round is used. */
  private async workspace(sink: AuditSink, workspaceId: string, result: AuditPumpRound): Promise<void> {
    await this.db.query(`INSERT INTO ${this.positions} ("sink", "workspace_id") VALUES ($1, $2::uuid) ON CONFLICT DO NOTHING`, [sink.name, workspaceId]);
    for (let n = 0; n < BATCHES_PER_ROUND; n++) {
      const outcome = await this.batch(sink, workspaceId, result);
      if (outcome !== 'sent') return;
    }
  }

  private batch(sink: AuditSink, workspaceId: string, result: AuditPumpRound): Promise<'sent' | 'done'> {
    return inTransaction(this.db, (client) => this.batchIn(client, sink, workspaceId, result));
  }

  private async batchIn(db: SqlQueryable, sink: AuditSink, workspaceId: string, result: AuditPumpRound): Promise<'sent' | 'done'> {
    // Another pump holds this workspace: it is delivering, this one leaves it alone.
    const { rows: held } = await db.query(
      `SELECT "seq"::text AS "seq", "retry_to_seq"::text AS "retry_to_seq", "attempts", ("retry_at" IS NULL OR "retry_at" <= now()) AS "due"
         FROM ${this.positions} WHERE "sink" = $1 AND "workspace_id" = $2::uuid FOR UPDATE SKIP LOCKED`,
      [sink.name, workspaceId],
    );
    const position = held[0] as { seq: string; retry_to_seq: string | null; attempts: number; due: boolean } | undefined;
    if (!position || !position.due) return 'done';
    // The head before the entries: every entry up to it is committed (the writer moves the head in
    // the transaction that inserts them), so the query below sees them all.
    const { rows: heads } = await db.query(`SELECT "seq"::text AS "seq" FROM ${this.heads} WHERE "workspace_id" = $1::uuid`, [workspaceId]);
    const head = (heads[0] as { seq: string } | undefined)?.seq ?? '0';
    // A failed batch is retried as the same range, so every attempt carries the same idempotency key.
    const { rows } = await db.query(workspaceId === GLOBAL_CHAIN ? this.entriesOf.global : this.entriesOf.workspace, [
      workspaceId,
      position.seq,
      position.retry_to_seq,
      this.settings.batchSize,
    ]);
    if (rows.length === 0) {
      // Nothing stored after the position although the head is further: retention dropped those
      // entries (or the range being retried). Move past them, or every round would look again.
      const past = position.retry_to_seq ?? (BigInt(head) > BigInt(position.seq) ? head : null);
      if (past !== null) await this.advance(db, sink, workspaceId, past);
      return 'done';
    }
    const batch: AuditSinkBatch = {
      workspaceId,
      entries: rows.map(auditEntryFromRow),
      firstSeq: Number((rows[0] as { position: string }).position),
      lastSeq: Number((rows[rows.length - 1] as { position: string }).position),
    };
    try {
      await sink.send(batch);
    } catch (error) {
      await this.failed(db, sink, batch, position.attempts + 1, error, result);
      return 'done';
    }
    await this.advance(db, sink, workspaceId, String(batch.lastSeq));
    result.delivered += batch.entries.length;
    return 'sent';
  }

  private async advance(db: SqlQueryable, sink: AuditSink, workspaceId: string, seq: string): Promise<void> {
    await db.query(
      `UPDATE ${this.positions} SET "seq" = $3::bigint, "retry_to_seq" = NULL, "attempts" = 0, "retry_at" = NULL, "last_error" = NULL, "updated_at" = now()
        WHERE "sink" = $1 AND "workspace_id" = $2::uuid`,
      [sink.name, workspaceId, seq],
    );
  }

  private async failed(db: SqlQueryable, sink: AuditSink, batch: AuditSinkBatch, attempts: number, error: unknown, result: AuditPumpRound): Promise<void> {
    const reason = describe(error);
    const range = `${batch.workspaceId} ${batch.firstSeq}-${batch.lastSeq}`;
    if (attempts >= this.settings.maxAttempts) {
      await db.query(
        `INSERT INTO ${this.deadLetters} ("sink", "workspace_id", "first_seq", "last_seq", "attempts", "error", "entries")
         VALUES ($1, $2::uuid, $3, $4, $5, $6, $7::jsonb) ON CONFLICT DO NOTHING`,
        [sink.name, batch.workspaceId, batch.firstSeq, batch.lastSeq, attempts, reason, JSON.stringify(batch.entries)],
      );
      await this.advance(db, sink, batch.workspaceId, String(batch.lastSeq));
      result.deadLettered++;
      this.logger.error(`Audit sink ${sink.name} refused entries ${range} ${attempts} times (${reason}): stored in the dead letters, moving on.`);
      return;
    }
    const delayMs = Math.min(this.settings.retryAfterMs * 2 ** (attempts - 1), this.settings.maxRetryAfterMs);
    await db.query(
      `UPDATE ${this.positions} SET "retry_to_seq" = $3::bigint, "attempts" = $4, "retry_at" = now() + $5 * interval '1 millisecond', "last_error" = $6, "updated_at" = now()
        WHERE "sink" = $1 AND "workspace_id" = $2::uuid`,
      [sink.name, batch.workspaceId, batch.lastSeq, attempts, delayMs, reason],
    );
    result.failed++;
    this.logger.warn(
      `Audit sink ${sink.name} failed on entries ${range} (attempt ${attempts} of ${this.settings.maxAttempts}, next in ${delayMs} ms): ${reason}`,
    );
  }
}

/** An error as stored text: no NUL (PostgreSQL text cannot hold it), and not unbounded. */
function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replaceAll('\u0000', '').slice(0, 1_000);
}
