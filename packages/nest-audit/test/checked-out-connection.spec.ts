import { createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../src/storage/sql-client';

// The chain writer, the sink pump, checkpoints and verification hold a pooled connection across
// several queries. A server restart drops it while it is checked out: node-postgres then emits
// 'error' on it, which the pool does not hear (it listens to idle connections only). Unheard, that
// event ends the process (a worker crash at every PostgreSQL restart).
describe('a connection lost while checked out', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let admin: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'audit_checkout' });
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await pool?.end();
    await database?.drop();
  });

  it('rejects the work, is discarded, and leaves the process and the pool working', async () => {
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);
    try {
      const work = inTransaction(pool, async (client) => {
        const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
        await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
        // The server closes the idle connection: its 'error' event arrives between two queries.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await client.query('SELECT 1');
      });
      await expect(work).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      process.off('uncaughtException', record);
    }
    expect(uncaught).toEqual([]);
    expect((await pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
  });
});
