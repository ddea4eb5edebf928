import { AUDIT_COLUMNS, type AuditEntry } from '../audit-entry';

/** `"id", "occurred_at", ...`: the stored columns, in AUDIT_COLUMNS order. */
export const AUDIT_SELECT_LIST = AUDIT_COLUMNS.map(([column]) => `"${column}"`).join(', ');

/** A stored row (snake_case, as node-postgres parses it) as an entry. */
export function auditEntryFromRow(row: Record<string, any>): AuditEntry {
  return {
    id: row.id,
    occurredAt: row.occurred_at instanceof Date ? row.occurred_at : new Date(row.occurred_at),
    workspaceId: row.workspace_id,
    actorKind: row.actor_kind,
    actorId: row.actor_id,
    action: row.action,
    subject: row.subject,
    subjectId: row.subject_id,
    status: row.status,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    requestId: row.request_id,
    ip: row.ip,
    userAgent: row.user_agent,
    durationMs: Number(row.duration_ms),
    metadata: row.metadata ?? {},
    changes: row.changes ?? {},
  };
}
