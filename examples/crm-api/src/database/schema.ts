// The Drizzle schema of the CRM: one table per file in ./tables. drizzle-kit generates the
// migrations in ../../drizzle from these files; `schema` is what drizzle() and TenancyModule see.
import { activities } from './tables/activities.table';
import { companies } from './tables/companies.table';
import { contacts } from './tables/contacts.table';
import { deals } from './tables/deals.table';
import { memberships } from './tables/memberships.table';
import { refreshTokens } from './tables/refresh-tokens.table';
import { users } from './tables/users.table';
import { workspaces } from './tables/workspaces.table';

export { activities, companies, contacts, deals, memberships, refreshTokens, users, workspaces };
export type { ActivityRow } from './tables/activities.table';
export type { CompanyRow } from './tables/companies.table';
export type { ContactRow } from './tables/contacts.table';
export type { DealRow } from './tables/deals.table';
export type { MembershipRow } from './tables/memberships.table';
export type { RefreshTokenRow } from './tables/refresh-tokens.table';
export type { UserRow } from './tables/users.table';
export type { WorkspaceRow } from './tables/workspaces.table';

export const schema = { activities, companies, contacts, deals, memberships, refreshTokens, users, workspaces };
export type Schema = typeof schema;

/** Tables scoped by workspace_id and guarded by RLS policies (see drizzle/0001_rls_policies.sql). */
export const TENANT_TABLES = ['memberships', 'companies', 'contacts', 'deals', 'activities'] as const;
