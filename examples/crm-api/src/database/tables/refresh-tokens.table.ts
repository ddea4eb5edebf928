import { tenantTable } from '@acme/nest-tenancy';
import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from './users.table';
import { workspaces } from './workspaces.table';

/**
 * Refresh tokens (only their SHA-256 is stored). Rotation: each use marks the row used and issues
 * the next token of the same family; presenting a used token again revokes the whole family.
 * Read before any workspace is known, so it is declared out of tenancy.
 */
export const refreshTokens = tenantTable(
  pgTable(
    'refresh_tokens',
    {
      id: uuid('id').primaryKey().defaultRandom(),
      familyId: uuid('family_id').notNull(),
      userId: uuid('user_id')
        .notNull()
        .references(() => users.id, { onDelete: 'cascade' }),
      workspaceId: uuid('workspace_id')
        .notNull()
        .references(() => workspaces.id, { onDelete: 'cascade' }),
      tokenHash: text('token_hash').notNull().unique(),
      expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
      usedAt: timestamp('used_at', { withTimezone: true }),
      revokedAt: timestamp('revoked_at', { withTimezone: true }),
      createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    },
    (t) => [index('refresh_tokens_family_idx').on(t.familyId), index('refresh_tokens_user_idx').on(t.userId)],
  ),
  null,
);
export type RefreshTokenRow = typeof refreshTokens.$inferSelect;
