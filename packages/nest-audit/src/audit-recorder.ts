import { afterCommit, ContextService, type AuditedWrite, type RequestContext } from '@acme/nest-context';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AuditEntry } from './audit-entry';
import { AuditPipeline } from './audit-pipeline';
import { RESOLVED_AUDIT_OPTIONS } from './audit.module-definition';
import { auditedWriteOf, AuditWrites, isSuccess } from './audited-writes';
import { currentAuthorizationDecisions } from './authorization-decisions';
import { buildEntry, type AuditRecord } from './build-entry';
import { Redactor } from './redactor';
import { currentRequestInfo, noteFailureRecorded } from './request-info';
import type { ResolvedAuditOptions } from './resolve-audit-options';

/**
 * Internal: turns records into entries for the pipeline and successful ones into announced
 * writes (`AUDITED_WRITES`), each at the right moment relative to the transaction around the
 * call. `AuditService` and the `@Audit` wrapper both go through it.
 */
@Injectable()
export class AuditRecorder {
  private readonly logger = new Logger('Audit');
  private readonly redactor: Redactor;

  constructor(
    @Inject(RESOLVED_AUDIT_OPTIONS) options: ResolvedAuditOptions,
    private readonly pipeline: AuditPipeline,
    private readonly context: ContextService,
    private readonly writes: AuditWrites,
  ) {
    this.redactor = new Redactor(options.redact);
  }

  /**
   * The entry of `record` in the current context (actor, workspace, request, redacted changes, and
   * the request's authorization decisions as `metadata.authorization` when it has any).
   */
  build(record: AuditRecord): AuditEntry {
    return this.entryIn(record, this.context.get());
  }

  /** The event of a successful record, in the current context; undefined for a failure. */
  writeOf(record: AuditRecord): AuditedWrite | undefined {
    return this.writeIn(record, this.context.get());
  }

  /**
   * Records `record` and returns what the audited call must wait for before it resolves to its
   * caller: the listeners of a success announced now (outside a commit scope; inside one, the
   * scope waits for them after its commit). Undefined when there is nothing to wait for. Never
   * throws, and the promise never rejects.
   */
  submit(record: AuditRecord): Promise<void> | undefined {
    const context = this.context.get(); // read once: this runs on every audited call
    let entry: AuditEntry | undefined;
    try {
      entry = this.entryIn(record, context);
    } catch (error) {
      this.logger.error(`Audit entry for ${record.action} ${record.subject} could not be recorded: ${String(error)}`);
    }
    // The write happened whether or not its entry could be built: listeners still hear it.
    return this.enqueue(entry, this.writeIn(record, context));
  }

  private entryIn(record: AuditRecord, context: RequestContext | undefined): AuditEntry {
    const entry = buildEntry(record, context, currentRequestInfo(), this.redactor, currentAuthorizationDecisions());
    if (entry.status === 'Failure') noteFailureRecorded();
    return entry;
  }

  private writeIn(record: AuditRecord, context: RequestContext | undefined): AuditedWrite | undefined {
    return isSuccess(record) ? auditedWriteOf(record, context) : undefined;
  }

  /**
   * A 'Success' recorded inside a database transaction (a unit of work of @acme/nest-tenancy)
   * is only true once that transaction commits: it waits for the commit, and becomes a 'Failure'
   * (`ROLLED_BACK`) if the transaction rolls back instead; its write is announced only on commit.
   * Failures are true either way, and announce nothing. Returns the listeners' promise of a
   * success announced now.
   */
  enqueue(entry: AuditEntry | undefined, write: AuditedWrite | undefined): Promise<void> | undefined {
    if (!write) {
      if (entry) this.pipeline.enqueue(entry);
      return undefined;
    }
    // Closures inline, not named: the build keeps function names, which costs a named closure
    // a property definition each time it is created, on every audited call.
    const deferred = afterCommit(
      () => this.committed(entry, write),
      (error) => {
        if (entry) this.pipeline.enqueue(rolledBack(entry, error));
      },
    );
    return deferred ? undefined : this.committed(entry, write);
  }

  /** The call's transaction committed (or there was none): its entry goes, its write is announced. */
  private committed(entry: AuditEntry | undefined, write: AuditedWrite): Promise<void> | undefined {
    if (entry) this.pipeline.enqueue(entry);
    return this.writes.publish(write);
  }

  /** Announces a write whose entry went elsewhere (an outbox): after the commit inside a commit scope, else now. */
  announce(write: AuditedWrite): Promise<void> | undefined {
    return afterCommit(() => this.writes.publish(write)) ? undefined : this.writes.publish(write);
  }
}

/** The entry of a call that succeeded in a transaction that then rolled back. */
function rolledBack(entry: AuditEntry, error: unknown): AuditEntry {
  noteFailureRecorded();
  const reason = error instanceof Error ? error.message : String(error);
  return { ...entry, status: 'Failure', errorCode: 'ROLLED_BACK', errorMessage: `The call succeeded, then its transaction rolled back: ${reason}` };
}
