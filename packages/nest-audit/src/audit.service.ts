import { afterCommit, ContextService, importOptional } from '@acme/nest-context';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { currentAuditCall, type AuditDescription } from './audit-call';
import { AuditPipeline } from './audit-pipeline';
import type { Queryable } from './audit-writer';
import { RESOLVED_AUDIT_OPTIONS } from './audit.module-definition';
import type { ResolvedAuditOptions } from './resolve-audit-options';
import type { AuditEntry } from './audit-entry';
import { AuditMissingDependencyError } from './audit.errors';
import { buildEntry, type AuditRecord } from './build-entry';
import { Redactor } from './redactor';
import { currentRequestInfo, noteFailureRecorded } from './request-info';

/** A Drizzle transaction (`tx.execute(sql)`) or a pg client (`client.query(text, params)`). */
export type AuditTransaction = Queryable | { execute(query: unknown): Promise<unknown> };

/** Records audit entries: `@Audit` uses it, and code can call it for anything else. */
@Injectable()
export class AuditService {
  private readonly logger = new Logger('Audit');
  private readonly redactor: Redactor;

  constructor(
    @Inject(RESOLVED_AUDIT_OPTIONS) options: ResolvedAuditOptions,
    private readonly pipeline: AuditPipeline,
    private readonly context: ContextService,
  ) {
    this.redactor = new Redactor(options.redact);
  }

  /**
   * Records one entry. It is batched and written shortly after; it never throws into the
   * caller. With `{ transaction }` it is written in that transaction instead (outbox: the entry
   * exists if and only if the business write commits), and errors do propagate.
   */
  async record(record: AuditRecord, options: { transaction?: AuditTransaction } = {}): Promise<void> {
    const entry = this.build(record);
    if (options.transaction) {
      await this.pipeline.writeWithin(await queryableOf(options.transaction), [entry]);
      return;
    }
    this.enqueue(entry);
  }

  /** Like `record`, for hot paths: synchronous, never throws. */
  recordNow(record: AuditRecord): void {
    try {
      this.enqueue(this.build(record));
    } catch (error) {
      this.logger.error(`Audit entry for ${record.action} ${record.subject} could not be recorded: ${String(error)}`);
    }
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
   * A 'Success' recorded inside a database transaction (a unit of work of @acme/nest-tenancy)
   * is only true once that transaction commits: it waits for the commit, and becomes a 'Failure'
   * (`ROLLED_BACK`) if the transaction rolls back instead. Failures are true either way.
   */
  private enqueue(entry: AuditEntry): void {
    if (
      entry.status === 'Success' &&
      afterCommit(
        () => this.pipeline.enqueue(entry),
        (error) => this.pipeline.enqueue(rolledBack(entry, error)),
      )
    )
      return;
    this.pipeline.enqueue(entry);
  }

  private build(record: AuditRecord) {
    const entry = buildEntry(record, this.context.get(), currentRequestInfo(), this.redactor);
    if (entry.status === 'Failure') noteFailureRecorded();
    return entry;
  }

  /** Waits until every entry recorded so far reached the queue, the table or the spool. */
  flush(): Promise<void> {
    return this.pipeline.flush();
  }
}

/** The entry of a call that succeeded in a transaction that then rolled back. */
function rolledBack(entry: AuditEntry, error: unknown): AuditEntry {
  noteFailureRecorded();
  const reason = error instanceof Error ? error.message : String(error);
  return { ...entry, status: 'Failure', errorCode: 'ROLLED_BACK', errorMessage: `The call succeeded, then its transaction rolled back: ${reason}` };
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
  const drizzle = transaction as { execute(query: unknown): Promise<{ rowCount?: number | null }> };
  return {
    async query(text: string, params: unknown[] = []) {
      // $1..$n become drizzle params in order, so the driver binds them as usual.
      const parts = text.split(/\$\d+/);
      const chunks = parts.flatMap((part, i) => (i < params.length ? [sql.raw(part), sql.param(params[i])] : [sql.raw(part)]));
      const result = await drizzle.execute(sql.join(chunks));
      return { rowCount: result?.rowCount ?? null };
    },
  };
}
