import type pg from 'pg';

/** The role the API and worker connect as: not superuser, no BYPASSRLS, owns nothing. */
export const APP_ROLE = 'crm_app';
/**
 * A role with BYPASSRLS (still not an owner) for the few deliberate cross-workspace reads:
 * sign-in looking up a user's memberships, the worker listing workspaces, the audit writer.
 */
export const SYSTEM_ROLE = 'crm_system';

/**
 * Owns the audit table and its partitions; nobody logs in as it. The system role may `SET ROLE`
 * to it without inheriting its rights (PostgreSQL 16+ membership options), so only the worker's
 * partition upkeep acts as the owner, for one job at a time: the audit writer and every other use
 * of the system role cannot alter, drop or truncate the trail.
 */
export const AUDIT_OWNER_ROLE = 'crm_audit_owner';

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
  await client.query(`
    DO $$ BEGIN
      CREATE ROLE ${AUDIT_OWNER_ROLE} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END $$`);
  // Databases migrating at the same time race for the one membership row: the loser has nothing to do.
  await client.query(`
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_auth_members WHERE roleid = '${AUDIT_OWNER_ROLE}'::regrole AND member = '${SYSTEM_ROLE}'::regrole) THEN
        GRANT ${AUDIT_OWNER_ROLE} TO ${SYSTEM_ROLE} WITH INHERIT FALSE, SET TRUE;
      END IF;
    EXCEPTION WHEN unique_violation THEN NULL;
    END $$`);
}

/**
 * Hands the natively partitioned audit table and every partition of it to {@link AUDIT_OWNER_ROLE}
 * (ownership is per table: new partitions need it again, so run it after every audit migration).
 * The role gets CREATE on the table's schema, which creating a partition requires.
 */
export async function handOverAuditTable(client: pg.ClientBase, table: string): Promise<void> {
  // The migrating role must be able to give a table to the role (superusers can; a CREATEROLE owner administers the roles it created).
  const member = await client.query<{ ok: boolean }>(`SELECT pg_has_role(current_user, $1, 'MEMBER') AS ok`, [AUDIT_OWNER_ROLE]);
  if (!member.rows[0]!.ok) await client.query(`GRANT ${AUDIT_OWNER_ROLE} TO CURRENT_USER`);
  const { rows } = await client.query<{ relation: string; schema: string }>(
    `SELECT c.oid::regclass::text AS relation, n.nspname AS schema
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = to_regclass($1)
         OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = to_regclass($1))`,
    [table],
  );
  for (const { relation } of rows) await client.query(`ALTER TABLE ${relation} OWNER TO ${AUDIT_OWNER_ROLE}`);
  for (const schema of new Set(rows.map((row) => row.schema))) {
    await client.query(`GRANT USAGE, CREATE ON SCHEMA ${client.escapeIdentifier(schema)} TO ${AUDIT_OWNER_ROLE}`);
  }
  // Retention records where it cut each workspace's hash chain (a 'Retention Boundary') before it drops a partition.
  await client.query(`GRANT SELECT, INSERT, UPDATE ON ${client.escapeIdentifier(`${table}_checkpoints`)} TO ${AUDIT_OWNER_ROLE}`);
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
