import { workspaceColumn } from '@acme/nest-tenancy';
import { caslSubject } from '@acme/nest-casl';
import { CURRENCIES, DEAL_STAGES } from '@acme-examples/crm-contracts';
import { date, foreignKey, index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { companies } from './companies.table';
import { contacts } from './contacts.table';
import { users } from './users.table';

export const deals = caslSubject(
  pgTable(
    'deals',
    {
      id: uuid('id').notNull().defaultRandom(),
      workspaceId: workspaceColumn(),
      companyId: uuid('company_id').notNull(),
      primaryContactId: uuid('primary_contact_id'),
      ownerId: uuid('owner_id')
        .notNull()
        .references(() => users.id),
      title: text('title').notNull(),
      amount: integer('amount').notNull(),
      currency: text('currency', { enum: CURRENCIES }).notNull().default('EUR'),
      stage: text('stage', { enum: DEAL_STAGES }).notNull().default('New'),
      stageChangedAt: timestamp('stage_changed_at', { withTimezone: true }).notNull().defaultNow(),
      expectedCloseOn: date('expected_close_on', { mode: 'string' }),
      closedAt: timestamp('closed_at', { withTimezone: true }),
      createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
      updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    },
    (t) => [
      primaryKey({ name: 'deals_pkey', columns: [t.workspaceId, t.id] }),
      foreignKey({ columns: [t.workspaceId, t.companyId], foreignColumns: [companies.workspaceId, companies.id] }).onDelete('cascade'),
      foreignKey({ columns: [t.workspaceId, t.primaryContactId], foreignColumns: [contacts.workspaceId, contacts.id] }),
      index('deals_workspace_created_idx').on(t.workspaceId, t.createdAt, t.id),
      index('deals_workspace_company_idx').on(t.workspaceId, t.companyId),
      index('deals_workspace_stage_idx').on(t.workspaceId, t.stage),
    ],
  ),
  'Deal',
);
export type DealRow = typeof deals.$inferSelect;
