import { getTableConfig, type PgDatabase, type PgTable } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { TenancyError } from './tenancy.errors';

/** Thrown at startup when the database would not enforce tenant isolation; `problems` lists why. */
export class RlsPostureError extends TenancyError {
  readonly code = 'TENANCY_RLS_POSTURE';
  constructor(readonly problems: string[]) {
    super(
      `Row-level security would not protect tenant data, refusing to start:\n  - ${problems.join('\n  - ')}\n` +
        'Connect as a role that is not superuser, has no BYPASSRLS and does not own the tables, and apply ' +
        'tenantPolicySql() to every tenant table in a migration (see the RLS setup in the README).',
    );
  }
}

type Rows<T> = { rows: T[] } | T[];
const rowsOf = <T>(result: Rows<T>): T[] => (Array.isArray(result) ? result : result.rows);

/**
 * Checks, as the runtime role, that RLS really protects every tenant table: the role is not
 * superuser and has no BYPASSRLS (both skip policies), it is not (a member of) the owner of
 * any tenant table (owners can turn RLS off), and each table has RLS enabled, forced and a policy.
 */
export async function checkRlsPosture(db: PgDatabase<any, any, any>, tables: PgTable[]): Promise<void> {
  const problems: string[] = [];
  // Checking no table would pass whatever the database does: say so instead.
  if (tables.length === 0) {
    problems.push('no tenant tables to check: pass `tables` to TenancyModule, or give drizzle() your schema (drizzle(pool, { schema }))');
  }
  const [role] = rowsOf(
    (await db.execute(sql`select current_user as name, rolsuper, rolbypassrls from pg_roles where rolname = current_user`)) as Rows<{
      name: string;
      rolsuper: boolean;
      rolbypassrls: boolean;
    }>,
  );
  if (role?.rolsuper) problems.push(`role "${role.name}" is a superuser: superusers bypass row-level security`);
  if (role?.rolbypassrls) problems.push(`role "${role.name}" has BYPASSRLS: row-level security does not apply to it`);

  for (const table of tables) {
    const { name, schema = 'public' } = getTableConfig(table);
    const [info] = rowsOf(
      (await db.execute(sql`
        select c.relrowsecurity as enabled, c.relforcerowsecurity as forced,
               pg_has_role(current_user, c.relowner, 'USAGE') as owns,
               exists (select 1 from pg_policies p where p.schemaname = n.nspname and p.tablename = c.relname) as has_policy
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = ${schema} and c.relname = ${name}`)) as Rows<{
        enabled: boolean;
        forced: boolean;
        owns: boolean;
        has_policy: boolean;
      }>,
    );
    const label = `${schema}.${name}`;
    if (!info) {
      problems.push(`tenant table ${label} does not exist (run the migrations)`);
      continue;
    }
    if (info.owns) problems.push(`role "${role?.name}" owns ${label} (or is a member of its owner) and can disable its policies`);
    if (!info.enabled) problems.push(`${label} does not have row-level security enabled`);
    else if (!info.forced) problems.push(`${label} has row-level security enabled but not FORCEd`);
    if (!info.has_policy) problems.push(`${label} has no policy`);
  }
  if (problems.length) throw new RlsPostureError(problems);
}
