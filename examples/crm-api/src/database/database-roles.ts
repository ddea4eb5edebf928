import type pg from 'pg';

/** The role the API and worker connect as: not superuser, no BYPASSRLS, owns nothing. */
export const APP_ROLE = 'crm_app';
/**
 * A role with BYPASSRLS (still not an owner) for the few deliberate cross-workspace reads:
 * sign-in looking up a user's memberships, the worker listing workspaces, the audit writer.
 */
export const SYSTEM_ROLE = 'crm_system';

export interface RolePasswords {
  app: string;
  system: string;
}

/**
 * Creates (or updates) the two login roles and grants them table privileges. Roles are
 * cluster-wide, so this is idempotent and safe to run concurrently for several databases.
 */
export async function provisionRoles(client: pg.ClientBase, passwords: RolePasswords): Promise<void> {
  for (const [role, password, bypass] of [
    [APP_ROLE, passwords.app, 'NOBYPASSRLS'],
    [SYSTEM_ROLE, passwords.system, 'BYPASSRLS'],
  ] as const) {
    const literal = client.escapeLiteral(password);
    await client.query(`
      DO $$ BEGIN
        CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE ${bypass};
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END $$`);
    await client.query(`ALTER ROLE ${role} LOGIN NOSUPERUSER ${bypass} PASSWORD ${literal}`);
  }
}

/** Table privileges for both roles; run after every migration so new tables are covered. */
export async function grantPrivileges(client: pg.ClientBase): Promise<void> {
  const roles = `${APP_ROLE}, ${SYSTEM_ROLE}`;
  const database = client.escapeIdentifier((await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db);
  await client.query(`GRANT CONNECT ON DATABASE ${database} TO ${roles}`);
  await client.query(`GRANT USAGE ON SCHEMA public TO ${roles}`);
  await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${roles}`);
  await client.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${roles}`);
}

/** The owner's connection URL with another role's credentials (same host, port and database). */
export function urlForRole(ownerUrl: string, role: string, password: string): string {
  const url = new URL(ownerUrl);
  url.username = role;
  url.password = password;
  return url.toString();
}
