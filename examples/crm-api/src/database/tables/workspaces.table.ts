import { pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** A tenant. Its id is the `workspace_id` of every tenant row. */
export const workspaces = pgTable('workspaces', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  slug: text('slug').notNull().unique(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
export type WorkspaceRow = typeof workspaces.$inferSelect;
