import { workspaceColumn } from '@acme/nest-tenancy';
import { caslSubject } from '@acme/nest-casl';
import { COMPANY_STATUSES, INDUSTRIES, SIZE_RANGES } from '@acme-examples/crm-contracts';
import { foreignKey, index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from './users.table';
import { workspaces } from './workspaces.table';

export const companies = caslSubject(
  pgTable(
    'companies',
    {
      id: uuid('id').notNull().defaultRandom(),
      workspaceId: workspaceColumn(),
      name: text('name').notNull(),
      domain: text('domain'),
      industry: text('industry', { enum: INDUSTRIES }).notNull(),
      sizeRange: text('size_range', { enum: SIZE_RANGES }).notNull(),
      status: text('status', { enum: COMPANY_STATUSES }).notNull().default('Lead'),
      employeeCount: integer('employee_count').notNull().default(0),
      /** Headcount 90 days ago, for the growth signal; null when unknown. */
      employeeCount90dAgo: integer('employee_count_90d_ago'),
      ownerId: uuid('owner_id')
        .notNull()
        .references(() => users.id),
      createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
      updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    },
    (t) => [
      foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
      // (workspace_id, id): the distribution key on Citus leads it, and it is the target of the
      // composite foreign keys that keep children in their company's workspace.
      primaryKey({ name: 'companies_pkey', columns: [t.workspaceId, t.id] }),
      index('companies_workspace_created_idx').on(t.workspaceId, t.createdAt, t.id),
      index('companies_workspace_owner_idx').on(t.workspaceId, t.ownerId),
      index('companies_workspace_name_idx').on(t.workspaceId, t.name),
    ],
  ),
  'Company',
);
export type CompanyRow = typeof companies.$inferSelect;
