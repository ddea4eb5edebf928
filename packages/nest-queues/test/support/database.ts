import { createTestDatabase } from '@acme/nest-testing';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import pg from 'pg';

export const WS_A = '0190a0b2-0000-7000-8000-00000000000a';
export const WS_B = '0190a0b2-0000-7000-8000-00000000000b';

export const companies = pgTable('companies', {
  id: uuid('id').primaryKey().defaultRandom(),
  workspaceId: uuid('workspace_id').notNull(),
  name: text('name').notNull(),
  employees: integer('employees').notNull().default(0),
});
export const schema = { companies };

export interface QueuesDatabase {
  db: NodePgDatabase<typeof schema>;
  close(): Promise<void>;
}

/** A fresh PostgreSQL database of this test file's own with one tenant table. */
export async function createQueuesDatabase(): Promise<QueuesDatabase> {
  const database = await createTestDatabase({ prefix: 'queues' });
  const pool = new pg.Pool({ connectionString: database.url, max: 4 });
  await pool.query(`CREATE TABLE companies (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id uuid NOT NULL,
    name text NOT NULL,
    employees integer NOT NULL DEFAULT 0
  )`);
  return {
    db: drizzle(pool, { schema }),
    async close() {
      await pool.end();
      await database.drop();
    },
  };
}
