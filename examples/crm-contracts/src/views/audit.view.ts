import { z } from 'zod';
import { isoDateTime, UserSummary } from '../common.ts';
import { AuditStatus } from '../enums.ts';

/** Who did it: a member (resolved to their summary), the system, or a background job. */
export const AuditActor = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('User'), user: UserSummary }),
    z.object({ kind: z.literal('Unknown User'), id: z.string() }),
    z.object({ kind: z.literal('System') }),
    z.object({ kind: z.literal('Job'), id: z.string() }),
  ])
  .meta({ id: 'AuditActor' });

/** One changed field: old and new value as display strings, or hidden by redaction. */
export const AuditChange = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('Changed'), field: z.string(), from: z.string().nullable(), to: z.string().nullable() }),
    z.object({ kind: z.literal('Redacted'), field: z.string() }),
  ])
  .meta({ id: 'AuditChange' });

export const AuditEntryView = z
  .object({
    id: z.string(),
    occurred_at: isoDateTime(),
    action: z.string(),
    subject: z.string(),
    subject_id: z.string().nullable(),
    status: AuditStatus,
    actor: AuditActor,
    error_code: z.string().nullable(),
    summary: z.string(),
    changes: z.array(AuditChange),
    request_id: z.string().nullable(),
    duration_ms: z.number().nonnegative(),
  })
  .meta({ id: 'AuditEntryView' });
export type AuditEntryView = z.infer<typeof AuditEntryView>;

export const AuditPage = z.object({ items: z.array(AuditEntryView), next_cursor: z.string().nullable() }).meta({ id: 'AuditPage' });
export type AuditPage = z.infer<typeof AuditPage>;
