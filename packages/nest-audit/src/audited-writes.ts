import type { AuditedWrite, AuditedWriteListener, AuditedWrites, RequestContext } from '@acme/nest-context';
import { Injectable, Logger } from '@nestjs/common';
import type { AuditRecord } from './build-entry';

/**
 * The app's `AUDITED_WRITES` (nest-context's contract): tells listeners (@acme/nest-cache
 * invalidates what a write made stale) about each successful audited write, once, after it
 * succeeded and, inside a commit scope, after the commit. `AuditService` decides when; this
 * only fans out.
 */
@Injectable()
export class AuditWrites implements AuditedWrites {
  private readonly listeners = new Set<AuditedWriteListener>();
  private readonly logger = new Logger('Audit');

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: AuditedWriteListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /**
   * Starts every listener now (in subscription order) and returns a promise that settles once
   * all of them did; it never rejects: a failing listener is logged and the others still run.
   * Undefined when nobody listens, so an audited call without listeners waits for nothing.
   */
  publish(write: AuditedWrite): Promise<void> | undefined {
    if (this.listeners.size === 0) return undefined;
    const pending: unknown[] = [];
    for (const listener of this.listeners) {
      try {
        pending.push(listener(write));
      } catch (error) {
        pending.push(Promise.reject(error));
      }
    }
    return Promise.allSettled(pending).then((outcomes) => {
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') {
          this.logger.error(`A listener of audited writes failed on ${write.action} ${write.subject}: ${describe(outcome.reason)}`);
        }
      }
    });
  }
}

/** Whether a record reports a write that happened: a 'Success' (given, or implied by no error). */
export function isSuccess(record: AuditRecord): boolean {
  return record.status === 'Success' || (record.status === undefined && record.error === undefined);
}

/** The event for a successful record, with the workspace and request of the context it ran in. */
export function auditedWriteOf(record: AuditRecord, context: RequestContext | undefined): AuditedWrite {
  return {
    workspaceId: record.workspaceId !== undefined ? record.workspaceId : (context?.workspaceId ?? null),
    subject: record.subject,
    action: record.action,
    subjectId: record.subjectId === undefined || record.subjectId === null ? null : String(record.subjectId),
    requestId: context?.requestId ?? null,
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
