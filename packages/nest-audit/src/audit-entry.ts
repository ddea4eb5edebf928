import type { ActorKind } from '@acme/nest-context';

/** Outcome of an audited action, Title Case like every stored value. */
export type AuditStatus = 'Success' | 'Failure';

/** How a field changed; a redacted field says only that it changed. */
export type FieldChange = { from: unknown; to: unknown } | { redacted: true };

/**
 * One row of the audit log, as stored (snake_case columns of the same names). Every field is
 * present: absent values are null, counts and durations are numbers.
 */
export interface AuditEntry {
  /** UUIDv7: sorts by time, and makes retried writes idempotent (ON CONFLICT DO NOTHING). */
  id: string;
  occurredAt: Date;
  workspaceId: string | null;
  actorKind: ActorKind;
  actorId: string | null;
  /** Title Case: 'Create', 'Update', 'Stage Change' ... */
  action: string;
  /** Title Case: 'Deal', 'Company' ... */
  subject: string;
  subjectId: string | null;
  status: AuditStatus;
  errorCode: string | null;
  errorMessage: string | null;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  durationMs: number;
  metadata: Record<string, unknown>;
  /** Changed fields only: `{ stage: { from: 'New', to: 'Won' }, password: { redacted: true } }`. */
  changes: Record<string, FieldChange>;
}

/** The columns of the audit table, in insert order (the writer and the migration share it). */
export const AUDIT_COLUMNS = [
  ['id', 'uuid'],
  ['occurred_at', 'timestamptz'],
  ['workspace_id', 'uuid'],
  ['actor_kind', 'text'],
  ['actor_id', 'text'],
  ['action', 'text'],
  ['subject', 'text'],
  ['subject_id', 'text'],
  ['status', 'text'],
  ['error_code', 'text'],
  ['error_message', 'text'],
  ['request_id', 'text'],
  ['ip', 'text'],
  ['user_agent', 'text'],
  ['duration_ms', 'integer'],
  ['metadata', 'jsonb'],
  ['changes', 'jsonb'],
] as const;

/** Default table name. */
export const DEFAULT_AUDIT_TABLE = 'audit_log';
