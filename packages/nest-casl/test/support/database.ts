import { createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { DDL } from './schema';

export interface CaslFixture {
  database: TestDatabase;
  pool: pg.Pool;
  db: NodePgDatabase;
  close(): Promise<void>;
}

export async function createCaslFixture(): Promise<CaslFixture> {
  const database = await createTestDatabase({ prefix: 'casl' });
  const pool = new pg.Pool({ connectionString: database.url, max: 4 });
  await pool.query(DDL);
  return {
    database,
    pool,
    db: drizzle(pool),
    async close() {
      await pool.end();
      await database.drop();
    },
  };
}
