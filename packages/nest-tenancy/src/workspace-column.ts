import { ContextService } from '@acme/nest-context';
import { uuid } from 'drizzle-orm/pg-core';
import { TenantContextMissingError } from './tenancy.errors';

const context = new ContextService();

/**
 * The workspace column of a tenant table: `uuid('workspace_id').notNull()` whose insert
 * default is the current workspace. Inserts then need not name it (also in their TypeScript
 * type), and an insert outside a workspace fails instead of writing a row nobody owns.
 *
 * @example export const companies = pgTable('companies', { id: uuid('id').primaryKey(), workspaceId: workspaceColumn(), ... });
 */
export function workspaceColumn(name = 'workspace_id') {
  return uuid(name)
    .notNull()
    .$defaultFn(() => {
      const workspaceId = context.get()?.workspaceId;
      if (!workspaceId) throw new TenantContextMissingError('insert');
      return workspaceId;
    });
}
