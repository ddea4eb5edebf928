import { defineConfig } from 'drizzle-kit';

// `pnpm db:generate` diffs src/database/tables against drizzle/ and writes the next migration.
// RLS policies live in a custom migration written by scripts/write-rls-migration.ts.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/database/tables/*.table.ts',
  out: './drizzle',
});
