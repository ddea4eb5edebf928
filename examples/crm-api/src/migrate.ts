import { migrateDatabase } from './database/migrate-database';

/**
 * `pnpm --filter @acme-examples/crm-api migrate`: migrates the database at MIGRATION_DATABASE_URL
 * (owner) and sets the passwords of the runtime roles from APP_DB_PASSWORD and SYSTEM_DB_PASSWORD.
 */
const required = ['MIGRATION_DATABASE_URL', 'APP_DB_PASSWORD', 'SYSTEM_DB_PASSWORD'] as const;
const missing = required.filter((name) => !process.env[name]);
if (missing.length) {
  console.error(`Invalid environment, fix these variables:\n${missing.map((name) => `  - ${name}: missing`).join('\n')}`);
  process.exit(1);
}
await migrateDatabase({
  ownerUrl: process.env.MIGRATION_DATABASE_URL!,
  passwords: { app: process.env.APP_DB_PASSWORD!, system: process.env.SYSTEM_DB_PASSWORD! },
});
console.log('migrated');
