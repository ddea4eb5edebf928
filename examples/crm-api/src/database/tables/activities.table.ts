import { workspaceColumn } from '@acme/nest-tenancy';
import { ACTIVITY_KINDS } from '@acme-examples/crm-contracts';
import { foreignKey, index, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { companies } from './companies.table';
import { users } from './users.table';

/** Timeline of a company (emails, calls, stage changes): feeds `last_activity` of the views. */
export const activities = pgTable(
  'activities',
  {
    id: uuid('id').notNull().defaultRandom(),
    workspaceId: workspaceColumn(),
    companyId: uuid('company_id').notNull(),
    contactId: uuid('contact_id'),
    dealId: uuid('deal_id'),
    kind: text('kind', { enum: ACTIVITY_KINDS }).notNull(),
    label: text('label').notNull(),
    actorId: uuid('actor_id').references(() => users.id, { onDelete: 'set null' }),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'activities_pkey', columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId, t.companyId], foreignColumns: [companies.workspaceId, companies.id] }).onDelete('cascade'),
    index('activities_workspace_company_idx').on(t.workspaceId, t.companyId, t.occurredAt),
    index('activities_workspace_contact_idx').on(t.workspaceId, t.contactId, t.occurredAt),
  ],
);
export type ActivityRow = typeof activities.$inferSelect;
