// Writes drizzle/0001_rls_policies.sql from tenantPolicySql() for every tenant table, so the
// policies in the migration are exactly the ones @acme/nest-tenancy checks at startup.
// Run: pnpm exec tsx scripts/write-rls-migration.ts (test/rls-migration.spec.ts fails on drift).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { rlsMigrationSql } from '../src/database/rls-migration';

const file = fileURLToPath(new URL('../drizzle/0001_rls_policies.sql', import.meta.url));
writeFileSync(file, rlsMigrationSql());
console.log(`wrote ${file}`);
