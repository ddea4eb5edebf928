import { DEFAULT_AUDIT_TABLE, migrateAudit, type AuditMigrationResult } from '@acme/nest-audit';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { join } from 'node:path';
import pg from 'pg';
import { AUDIT_STORAGE } from '../audit/audit-storage';
import { packageRoot } from '../common/package-root';
import { grantPrivileges, handOverAuditTable, provisionRoles, type RolePasswords } from './database-roles';

/** drizzle-kit's output folder, next to package.json. */
export const migrationsFolder = () => join(packageRoot(), 'drizzle');

export interface MigrateOptions {
  /** Connection as the owner (or a superuser): migrations create and own the tables. */
  ownerUrl: string;
  passwords: RolePasswords;
  migrationsFolder?: string;
}

/**
 * Brings a database to the current schema: login roles, drizzle-kit migrations (tables, then RLS
 * policies), the audit log table of @acme/nest-audit (owned by the audit owner role when
 * natively partitioned), then grants.
 */
export async function migrateDatabase(options: MigrateOptions): Promise<{ audit: AuditMigrationResult }> {
  const client = new pg.Client({ connectionString: options.ownerUrl });
  await client.connect();
  try {
    await provisionRoles(client, options.passwords);
    await migrate(drizzle(client), { migrationsFolder: options.migrationsFolder ?? migrationsFolder() });
    // The audit log of @acme/nest-audit: a TimescaleDB hypertable (compression, retention) when
    // the extension is installed, native partitions otherwise (the embedded PostgreSQL 17), with
    // the settings the worker's partition upkeep uses too.
    const audit = await migrateAudit(client, AUDIT_STORAGE);
    // The worker's upkeep creates and drops partitions as their owner (it SETs ROLE to it).
    if (audit.mode === 'partitioned') await handOverAuditTable(client, DEFAULT_AUDIT_TABLE);
    await grantPrivileges(client);
    return { audit };
  } finally {
    await client.end();
  }
}
