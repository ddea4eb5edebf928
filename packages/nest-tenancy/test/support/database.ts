import { createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { tenantPolicySql } from '@acme/nest-tenancy';
import { DDL, schema, type Schema } from './schema';

export const WS_A = '0190a0b2-0000-7000-8000-00000000000a';
export const WS_B = '0190a0b2-0000-7000-8000-00000000000b';

export interface TenancyFixture {
  database: TestDatabase;
  /** Connected as the owner (superuser): for seeding and for checking what really is in the tables. */
  admin: NodePgDatabase<Schema>;
  /** Connected as `app_*`: not owner, not superuser, no BYPASSRLS; the role RLS applies to. */
  app: NodePgDatabase<Schema>;
  appUrl: string;
  appRole: string;
  close(): Promise<void>;
}

/**
 * A fresh database with the test schema, RLS policies on the tenant tables, and a runtime
 * role that owns nothing. Workspaces A and B exist; seed rows with `admin`.
 */
export async function createTenancyFixture(): Promise<TenancyFixture> {
  const database = await createTestDatabase({ prefix: 'tenancy' });
  const adminPool = new pg.Pool({ connectionString: database.url, max: 4 });
  const appRole = `app_${database.name}`.slice(0, 63);
  const setup = [
    DDL,
    ...tenantPolicySql('companies'),
    ...tenantPolicySql('contacts'),
    `DROP ROLE IF EXISTS "${appRole}"`,
    `CREATE ROLE "${appRole}" LOGIN PASSWORD 'app' NOSUPERUSER NOBYPASSRLS`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "${appRole}"`,
    `INSERT INTO workspaces (id, name) VALUES ('${WS_A}', 'A'), ('${WS_B}', 'B')`,
  ];
  for (const statement of setup) await adminPool.query(statement);

  const appUrl = new URL(database.url);
  appUrl.username = appRole;
  appUrl.password = 'app';
  const appPool = new pg.Pool({ connectionString: appUrl.toString(), max: 4 });
  return {
    database,
    admin: drizzle(adminPool, { schema }),
    app: drizzle(appPool, { schema }),
    appUrl: appUrl.toString(),
    appRole,
    async close() {
      await appPool.end();
      await adminPool.end();
      await database.drop();
      const cleanup = new pg.Client({ connectionString: database.url.replace(`/${database.name}`, '/postgres') });
      await cleanup.connect();
      await cleanup.query(`DROP ROLE IF EXISTS "${appRole}"`).finally(() => cleanup.end());
    },
  };
}
