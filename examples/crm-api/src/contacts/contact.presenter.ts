import { definePresenter, iso, lastActivity } from '@acme/nest-view-presenter';
import { ContactView, type ActivityKind } from '@acme-examples/crm-contracts';
import { toUserSummary, type UserSummaryRow } from '../common/user-summary';
import type { ContactRow } from '../database/schema';

export interface ContactAggregate extends ContactRow {
  company: { id: string; name: string; domain: string | null };
  owner: UserSummaryRow;
  lastActivity: { kind: ActivityKind; label: string; occurredAt: Date } | null;
}

export const ContactPresenter = definePresenter(ContactView, (row: ContactAggregate) => ({
  id: row.id,
  first_name: row.firstName,
  last_name: row.lastName,
  full_name: `${row.firstName} ${row.lastName}`,
  email: row.email,
  phone: row.phone,
  job_title: row.jobTitle,
  company: row.company,
  owner: toUserSummary(row.owner),
  last_activity: lastActivity(row.lastActivity?.kind, row.lastActivity?.occurredAt, row.lastActivity?.label ?? ''),
  created_at: iso(row.createdAt),
  updated_at: iso(row.updatedAt),
}));
