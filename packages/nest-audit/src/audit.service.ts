import { importOptional } from '@acme/nest-context';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { currentAuditCall, type AuditDescription } from './audit-call';
import { AuditPipeline } from './audit-pipeline';
import { AuditRecorder } from './audit-recorder';
import type { Queryable } from './audit-writer';
import { AuditMissingDependencyError } from './audit.errors';
import { RESOLVED_AUDIT_OPTIONS } from './audit.module-definition';
import type { AuditRecord } from './build-entry';
import { eraseEntries } from './integrity/erase';
import { validateEraseOptions, type AuditEraseOptions, type AuditErasure } from './integrity/erase-options';
import { personalRules, type PersonalRules } from './integrity/personal-data';
import type { ResolvedAuditOptions } from './resolve-audit-options';
import { enterAuditMaintenance } from './storage/audit-guard.sql';
import { inStorageTransaction } from './storage/sql-client';
import { auditTableName, type AuditTableName } from './storage/sql-identifier';

/** A Drizzle transaction (`tx.execute(sql)`) or a pg client (`client.query(text, params)`). */
export type AuditTransaction = Queryable | { execute(query: unknown): Promise<unknown> };

/** Records audit entries: `@Audit` uses it, and code can call it for anything else. */
@Injectable()
export class AuditService {
  private readonly table: AuditTableName;
  private readonly personal: PersonalRules;

  constructor(
    private readonly pipeline: AuditPipeline,
    private readonly recorder: AuditRecorder,
    @Inject(RESOLVED_AUDIT_OPTIONS) options: ResolvedAuditOptions,
  ) {
    this.table = auditTableName(options.table, options.schema);
    this.personal = personalRules(options.integrity.personal);
  }

  /**
   * Records one entry. It is batched and written shortly after; it never throws into the
   * caller. With `{ transaction }` it is written in that transaction instead (outbox: the entry
   * exists if and only if the business write commits), and errors do propagate.
   *
   * A 'Success' reports a write: listeners of `AUDITED_WRITES` hear it, as they hear an `@Audit`
   * call, before this resolves (inside a commit scope: once it committed, never when it rolled
   * back). A 'Failure' reports none. With `{ transaction }` outside a commit scope nothing can
   * tell when your transaction commits, so they hear it once the entry is written: record after
   * your commit, or run the transaction as a commit scope (@acme/nest-tenancy's
   * `TenantDb.transaction` is one).
   */
  async record(record: AuditRecord, options: { transaction?: AuditTransaction } = {}): Promise<void> {
    const entry = this.recorder.build(record);
    const write = this.recorder.writeOf(record);
    if (options.transaction) {
      await this.pipeline.writeWithin(await queryableOf(options.transaction), [entry]);
      if (write) await this.recorder.announce(write);
      return;
    }
    await this.recorder.enqueue(entry, write);
  }

  /**
   * Like `record`, for hot paths: synchronous, never throws. Listeners of `AUDITED_WRITES` hear a
   * 'Success' as with `record`, but nothing waits for them.
   */
  recordNow(record: AuditRecord): void {
    void this.recorder.submit(record);
  }

  /**
   * Adds to the entry of the audited call in progress: the subject id, the state before and
   * after (only changed fields are stored, secrets redacted) and metadata. Outside an audited
   * call it does nothing.
   *
   * @example this.audit.describe({ subjectId: deal.id, before: deal, after: updated });
   */
  describe(description: AuditDescription): void {
    const call = currentAuditCall();
    if (!call) return;
    if (description.subjectId !== undefined) call.subjectId = description.subjectId;
    if (description.before !== undefined) call.before = description.before;
    if (description.after !== undefined) call.after = description.after;
    if (description.metadata) call.metadata = { ...call.metadata, ...description.metadata };
  }

  /**
   * Erases the personal data the audit log holds about one actor (`{ workspaceId, actorId }`: the
   * entries they recorded) or one subject (`{ workspaceId, subject?, subjectId }`: the entries
   * about it), keeping the hash chain verifiable. In one transaction: each matching entry's `ip`
   * and `user_agent` become null, every personal value in `metadata` and `changes` (the paths the
   * chain committed to; for entries without a chain, the `integrity.personal` fields) becomes
   * '[erased]', and for an actor `actor_id` becomes the returned pseudonym; then an entry
   * 'Erase' 'Personal Data' (subject id: the pseudonym, metadata `{ erased, by, subject }`) records
   * the erasure without the erased id. Entries recorded after the call are not erased: call it
   * again. Ids in `subject_id` stay (the chain commits to them).
   *
   * @throws AuditEraseError `AUDIT_ERASE_INVALID` (a client error) for bad options, before any SQL
   */
  async erase(options: AuditEraseOptions): Promise<AuditErasure> {
    const erasure = validateEraseOptions(options);
    const pseudonym = `erased:${randomUUID()}`;
    // Built before the transaction, in the caller's context; never with the erased actor's identity.
    const entry = this.recorder.build({
      action: 'Erase',
      subject: 'Personal Data',
      subjectId: pseudonym,
      workspaceId: erasure.workspaceId,
      metadata: { erased: 0, by: erasure.by, subject: erasure.by === 'subject' ? erasure.subject : null },
    });
    if (erasure.by === 'actor' && entry.actorId === erasure.actorId) Object.assign(entry, { actorId: pseudonym, ip: null, userAgent: null });
    const erased = await inStorageTransaction(this.pipeline.database, async (client) => {
      await enterAuditMaintenance(client);
      const count = await eraseEntries(client, this.table, this.personal, erasure, pseudonym);
      entry.metadata = { ...entry.metadata, erased: count };
      await this.pipeline.writeWithin(client as Queryable, [entry]);
      return count;
    });
    return { erased, pseudonym };
  }

  /** Waits until every entry recorded so far reached the queue, the table or the spool. */
  flush(): Promise<void> {
    return this.pipeline.flush();
  }
}

/** A pg-style `query(text, params)` for a Drizzle transaction or a pg client. */
async function queryableOf(transaction: AuditTransaction): Promise<Queryable> {
  if ('query' in transaction && typeof transaction.query === 'function') return transaction as Queryable;
  const drizzleOrm = await importOptional(() => import('drizzle-orm'), 'drizzle-orm');
  if (!drizzleOrm) {
    throw new AuditMissingDependencyError(
      'AuditService.record(..., { transaction }) got an object without query(): a Drizzle transaction needs drizzle-orm installed (pnpm add drizzle-orm); otherwise pass a pg client.',
    );
  }
  const { sql } = drizzleOrm;
  // node-postgres drivers answer a QueryResult ({ rows, rowCount }); postgres.js an array of rows.
  const drizzle = transaction as { execute(query: unknown): Promise<{ rows?: unknown[]; rowCount?: number | null } | unknown[]> };
  return {
    async query(text: string, params: unknown[] = []) {
      // $1..$n become drizzle params in order, so the driver binds them as usual.
      const parts = text.split(/\$\d+/);
      const chunks = parts.flatMap((part, i) => (i < params.length ? [sql.raw(part), sql.param(params[i])] : [sql.raw(part)]));
      const result = await drizzle.execute(sql.join(chunks));
      if (Array.isArray(result)) return { rows: result, rowCount: result.length };
      return { rows: result?.rows ?? [], rowCount: result?.rowCount ?? null };
    },
  };
}
