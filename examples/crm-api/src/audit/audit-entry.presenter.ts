import type { AuditEntry } from '@acme/nest-audit';
import { definePresenter, iso } from '@acme/nest-view-presenter';
import { AuditEntryView } from '@acme-examples/crm-contracts';
import { toUserSummary, type UserSummaryRow } from '../common/user-summary';

const display = (value: unknown): string | null => {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
};

const actorOf = (entry: AuditEntry, users: Map<string, UserSummaryRow>) => {
  if (entry.actorKind === 'User') {
    const user = entry.actorId ? users.get(entry.actorId) : undefined;
    return user ? { kind: 'User' as const, user: toUserSummary(user) } : { kind: 'Unknown User' as const, id: entry.actorId ?? '' };
  }
  return entry.actorKind === 'Job' ? { kind: 'Job' as const, id: entry.actorId ?? '' } : { kind: 'System' as const };
};

/** An audit entry as the trail shows it: the actor resolved to a person, changes as display strings, one summary line. */
export const AuditEntryPresenter = definePresenter(AuditEntryView, (entry: AuditEntry, ctx: { users: Map<string, UserSummaryRow> }) => {
  const actor = actorOf(entry, ctx.users);
  const who = actor.kind === 'User' ? actor.user.name : actor.kind;
  return {
    id: entry.id,
    occurred_at: iso(entry.occurredAt),
    action: entry.action,
    subject: entry.subject,
    subject_id: entry.subjectId,
    status: entry.status,
    actor,
    error_code: entry.errorCode,
    summary:
      entry.status === 'Success'
        ? `${who}: ${entry.action} ${entry.subject}`
        : `${who}: ${entry.action} ${entry.subject} failed (${entry.errorCode ?? 'error'})`,
    changes: Object.entries(entry.changes).map(([field, change]) =>
      'redacted' in change ? { kind: 'Redacted' as const, field } : { kind: 'Changed' as const, field, from: display(change.from), to: display(change.to) },
    ),
    request_id: entry.requestId,
    duration_ms: entry.durationMs,
  };
});
