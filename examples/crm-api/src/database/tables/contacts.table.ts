import { workspaceColumn } from '@acme/nest-tenancy';
import { caslSubject } from '@acme/nest-casl';
import { foreignKey, index, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { companies } from './companies.table';
import { users } from './users.table';

export const contacts = caslSubject(
  pgTable(
    'contacts',
    {
      id: uuid('id').notNull().defaultRandom(),
      workspaceId: workspaceColumn(),
      companyId: uuid('company_id').notNull(),
      firstName: text('first_name').notNull(),
      lastName: text('last_name').notNull(),
      email: text('email').notNull(),
      phone: text('phone'),
      jobTitle: text('job_title'),
      ownerId: uuid('owner_id')
        .notNull()
        .references(() => users.id),
      createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
      updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    },
    (t) => [
      // (workspace_id, company_id): a contact can only point at a company of its own workspace.
      foreignKey({ columns: [t.workspaceId, t.companyId], foreignColumns: [companies.workspaceId, companies.id] }).onDelete('cascade'),
      primaryKey({ name: 'contacts_pkey', columns: [t.workspaceId, t.id] }),
      index('contacts_workspace_created_idx').on(t.workspaceId, t.createdAt, t.id),
      index('contacts_workspace_company_idx').on(t.workspaceId, t.companyId),
    ],
  ),
  'Contact',
);
export type ContactRow = typeof contacts.$inferSelect;
