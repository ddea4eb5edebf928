import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AuditPipeline } from '../audit-pipeline';
import { RESOLVED_AUDIT_OPTIONS } from '../audit.module-definition';
import type { ResolvedAuditCheckpoints, ResolvedAuditOptions } from '../resolve-audit-options';
import { CHECKPOINT_KIND } from '../storage/audit-checkpoints.sql';
import { withPooledClient, type SqlQueryable } from '../storage/sql-client';
import { auditTableName, quoteLiteral, type AuditTableName } from '../storage/sql-identifier';
import { signCheckpoint, type AuditCheckpoint } from './checkpoint';

/** Heads read, and checkpoints published, per query. */
const PAGE = 1_000;
/** First key of the advisory lock a round holds (the second is a hash of the checkpoints table). */
const LOCK_SPACE = 730_617_282;

/**
 * Signs the chain heads that moved since their last checkpoint, stores each checkpoint in
 * `<table>_checkpoints` (kind 'Checkpoint') and hands the ones not yet published to
 * `integrity.checkpoints.publish`, to keep copies off the database. Rounds run every `everyMs`:
 * as a job scheduler on the audit queue in a process that consumes it (once per interval across
 * replicas), else on a timer. Concurrent rounds (timers of several replicas) take turns on an
 * advisory lock; a checkpoint is stored once whoever makes it. A publish that throws is logged
 * and the same checkpoints are offered again next round (publishing is at least once: key the
 * copies by workspace and seq).
 */
@Injectable()
export class AuditCheckpointer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Audit');
  private readonly settings: ResolvedAuditCheckpoints | undefined;
  private readonly name: AuditTableName;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    @Inject(RESOLVED_AUDIT_OPTIONS) options: ResolvedAuditOptions,
    private readonly pipeline: AuditPipeline,
  ) {
    this.settings = options.integrity.checkpoints;
    this.name = auditTableName(options.table, options.schema);
  }

  async onApplicationBootstrap(): Promise<void> {
    const settings = this.settings;
    if (!settings) return;
    if (await this.pipeline.scheduleTask('checkpoint', settings.everyMs, () => this.scheduledRound())) return;
    this.timer = setInterval(() => void this.scheduledRound(), settings.everyMs).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /**
   * Runs one round now (waiting for a round in progress elsewhere): signs and stores a
   * checkpoint for every head that moved, publishes what is unpublished, and returns the
   * checkpoints this round made. A publish failure is logged, not thrown (the next round retries).
   * Without `integrity.checkpoints` it returns [] (nothing is signed).
   */
  checkpoint(): Promise<AuditCheckpoint[]> {
    return this.round(true);
  }

  /** A scheduled round: skipped when another round holds the lock; errors are logged. */
  private async scheduledRound(): Promise<void> {
    try {
      await this.round(false);
    } catch (error) {
      this.logger.error(`Audit checkpoint round failed, the next one retries: ${String(error)}`);
    }
  }

  private async round(wait: boolean): Promise<AuditCheckpoint[]> {
    const settings = this.settings;
    if (!settings) return [];
    const run = this.roundWith(settings, wait);
    this.running = run;
    return run;
  }

  private async roundWith(settings: ResolvedAuditCheckpoints, wait: boolean): Promise<AuditCheckpoint[]> {
    const lockKey = [LOCK_SPACE, this.name.derived('_checkpoints')];
    return withPooledClient(this.pipeline.database, async (client, discard) => {
      if (wait) {
        await client.query('SELECT pg_advisory_lock($1, hashtext($2))', lockKey);
      } else {
        const { rows } = await client.query('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', lockKey);
        if (!(rows[0] as { locked: boolean }).locked) return [];
      }
      try {
        const made = await this.signMovedHeads(client, settings);
        if (settings.publish) await this.publishPending(client, settings.publish);
        return made;
      } finally {
        // A connection that could not unlock still holds the lock: discarded, which releases it.
        await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', lockKey).catch(discard);
      }
    });
  }

  /** Signs and stores a checkpoint for each head past its workspace's latest checkpoint. */
  private async signMovedHeads(db: SqlQueryable, settings: ResolvedAuditCheckpoints): Promise<AuditCheckpoint[]> {
    const made: AuditCheckpoint[] = [];
    let after: string | null = null;
    for (;;) {
      const { rows } = await db.query(
        `SELECT h."workspace_id"::text AS "workspace_id", h."seq"::text AS "seq", h."hash" FROM ${this.name.derived('_chain_heads')} h
          WHERE ($1::uuid IS NULL OR h."workspace_id" > $1::uuid) AND h."seq" > 0
            AND h."seq" > COALESCE((SELECT max(c."seq") FROM ${this.name.derived('_checkpoints')} c
                                    WHERE c."workspace_id" = h."workspace_id" AND c."kind" = ${quoteLiteral(CHECKPOINT_KIND)}), 0)
          ORDER BY h."workspace_id" LIMIT ${PAGE}`,
        [after],
      );
      if (rows.length === 0) break;
      const createdAt = new Date().toISOString();
      const signed = (rows as { workspace_id: string; seq: string; hash: Buffer }[]).map((row) =>
        signCheckpoint({ workspaceId: row.workspace_id, seq: Number(row.seq), hash: row.hash.toString('hex'), createdAt }, settings.signingKey, settings.keyId),
      );
      const { rows: stored } = await db.query(
        `INSERT INTO ${this.name.derived('_checkpoints')} ("workspace_id", "seq", "hash", "kind", "created_at", "key_id", "signature")
         SELECT w, s, decode(h, 'hex'), ${quoteLiteral(CHECKPOINT_KIND)}, $4::timestamptz, $5, decode(g, 'base64')
           FROM unnest($1::uuid[], $2::bigint[], $3::text[], $6::text[]) AS t(w, s, h, g)
         ON CONFLICT DO NOTHING
         RETURNING "workspace_id"::text AS "workspace_id", "seq"::text AS "seq"`,
        [signed.map((c) => c.workspaceId), signed.map((c) => c.seq), signed.map((c) => c.hash), createdAt, settings.keyId, signed.map((c) => c.signature)],
      );
      const kept = new Set((stored as { workspace_id: string; seq: string }[]).map((row) => `${row.workspace_id}:${row.seq}`));
      made.push(...signed.filter((c) => kept.has(`${c.workspaceId}:${c.seq}`)));
      if (rows.length < PAGE) break;
      after = (rows[rows.length - 1] as { workspace_id: string }).workspace_id;
    }
    return made;
  }

  /** Offers the unpublished checkpoints to `publish`, oldest first, and marks those it took. */
  private async publishPending(db: SqlQueryable, publish: NonNullable<ResolvedAuditCheckpoints['publish']>): Promise<void> {
    const table = this.name.derived('_checkpoints');
    for (;;) {
      const { rows } = await db.query(
        `SELECT "workspace_id"::text AS "workspace_id", "seq"::text AS "seq", "hash", "created_at", "key_id", "signature" FROM ${table}
          WHERE "published_at" IS NULL AND "kind" = ${quoteLiteral(CHECKPOINT_KIND)} AND "signature" IS NOT NULL
          ORDER BY "created_at", "workspace_id", "seq" LIMIT ${PAGE}`,
      );
      if (rows.length === 0) return;
      const checkpoints = (rows as StoredCheckpoint[]).map(toCheckpoint);
      try {
        await publish(checkpoints);
      } catch (error) {
        this.logger.warn(`Publishing ${checkpoints.length} audit checkpoints failed; they are offered again next round: ${String(error)}`);
        return;
      }
      await db.query(
        `UPDATE ${table} SET "published_at" = now()
          WHERE "kind" = ${quoteLiteral(CHECKPOINT_KIND)} AND ("workspace_id", "seq") IN (SELECT * FROM unnest($1::uuid[], $2::bigint[]))`,
        [checkpoints.map((c) => c.workspaceId), checkpoints.map((c) => c.seq)],
      );
      if (rows.length < PAGE) return;
    }
  }
}

interface StoredCheckpoint {
  workspace_id: string;
  seq: string;
  hash: Buffer;
  created_at: Date;
  key_id: string | null;
  signature: Buffer;
}

function toCheckpoint(row: StoredCheckpoint): AuditCheckpoint {
  return {
    workspaceId: row.workspace_id,
    seq: Number(row.seq),
    hash: row.hash.toString('hex'),
    createdAt: row.created_at.toISOString(),
    keyId: row.key_id ?? '',
    signature: row.signature.toString('base64'),
  };
}
