import { currentTraceIds, uuidv7, type Actor, type AuthorizationDecision, type RequestContext } from '@acme/nest-context';
import { HttpException } from '@nestjs/common';
import type { AuditEntry, AuditStatus } from './audit-entry';
import { EMPTY, type Redactor } from './redactor';
import type { RequestInfo } from './request-info';

/** What a caller says about one audited action; everything else comes from the context. */
export interface AuditRecord {
  /** Title Case: 'Create', 'Update', 'Stage Change' ... */
  action: string;
  /** Title Case: 'Deal', 'Company' ... */
  subject: string;
  subjectId?: string | number | null;
  /** @default 'Success', or 'Failure' when `error` is given */
  status?: AuditStatus;
  /** The failure; its `code` (or HTTP response code) and message are recorded. */
  error?: unknown;
  /** @default 0 */
  durationMs?: number;
  metadata?: Record<string, unknown>;
  /** The subject before and after the action; only changed fields are stored. */
  before?: unknown;
  after?: unknown;
  /** When the action happened. @default now */
  occurredAt?: Date;
  /** Override the context's actor / workspace (system jobs). */
  actor?: Actor;
  workspaceId?: string | null;
}

const MAX_MESSAGE = 1_000;

/**
 * The entry of `record` in `context`. `authorization`, the request's authorization decisions, goes
 * into `metadata.authorization` as it is (after redaction: it names rules and fields, never values),
 * in place of any `authorization` the record's metadata had. Inside an OpenTelemetry span (with
 * `@opentelemetry/api` installed) `metadata.trace_id` holds its trace id, to find the request's trace.
 */
export function buildEntry(
  record: AuditRecord,
  context: RequestContext | undefined,
  request: RequestInfo | undefined,
  redactor: Redactor,
  authorization?: AuthorizationDecision[],
): AuditEntry {
  const actor = record.actor ?? context?.actor ?? { kind: 'System', id: null };
  const failed = record.status === 'Failure' || (record.status === undefined && record.error !== undefined);
  const redacted = redactor.redact(record.metadata ?? EMPTY) as Record<string, unknown>;
  const { trace_id: traceId } = currentTraceIds();
  const metadata = traceId ? { ...redacted, trace_id: traceId } : redacted;
  return {
    id: uuidv7(),
    occurredAt: record.occurredAt ?? new Date(),
    workspaceId: record.workspaceId !== undefined ? record.workspaceId : (context?.workspaceId ?? null),
    actorKind: actor.kind,
    actorId: actor.id,
    action: record.action,
    subject: record.subject,
    subjectId: record.subjectId === undefined || record.subjectId === null ? null : String(record.subjectId),
    status: failed ? 'Failure' : 'Success',
    errorCode: failed ? errorCodeOf(record.error) : null,
    errorMessage: failed && record.error !== undefined ? errorMessageOf(record.error) : null,
    requestId: context?.requestId ?? null,
    ip: request?.ip ?? null,
    userAgent: request?.userAgent ?? null,
    durationMs: Math.max(0, Math.round(record.durationMs ?? 0)),
    metadata: authorization ? { ...metadata, authorization } : metadata,
    changes: redactor.diff(record.before, record.after),
  };
}

/** A stable code for the failure: the error's own `code`, the HTTP body's `code`, else its class name. */
export function errorCodeOf(error: unknown): string {
  if (error instanceof HttpException) {
    const body = error.getResponse();
    if (typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'string') {
      return (body as { code: string }).code;
    }
    return `HTTP_${error.getStatus()}`;
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code !== '') return code;
  return error instanceof Error ? error.name : 'Error';
}

function errorMessageOf(error: unknown): string {
  const own = (error as { message?: unknown } | null)?.message;
  const message = typeof own === 'string' ? own : String(error);
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}...` : message;
}
