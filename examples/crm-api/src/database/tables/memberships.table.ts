import { workspaceColumn } from '@acme/nest-tenancy';
import { ROLES } from '@acme-examples/crm-contracts';
import { sql } from 'drizzle-orm';
import { check, foreignKey, index, pgTable, primaryKey, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { users } from './users.table';
import { workspaces } from './workspaces.table';

/** Who belongs to a workspace, with which role. A tenant table: a workspace sees only its members. */
export const memberships = pgTable(
  'memberships',
  {
    id: uuid('id').notNull().defaultRandom(),
    workspaceId: workspaceColumn(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ROLES }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'memberships_pkey', columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
    unique('memberships_workspace_user_key').on(t.workspaceId, t.userId),
    index('memberships_workspace_created_idx').on(t.workspaceId, t.createdAt, t.id),
    // Sign-in looks up a user's workspaces across tenants (through the system role).
    index('memberships_user_idx').on(t.userId),
    check('memberships_role_check', sql`${t.role} in ('Admin', 'Operator', 'Pipeline', 'Viewer')`),
  ],
);
export type MembershipRow = typeof memberships.$inferSelect;
