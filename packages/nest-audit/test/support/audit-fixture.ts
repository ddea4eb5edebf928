import { createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import pg from 'pg';
import { migrateAudit } from '../../src/storage/audit-migration';
import { clearAuditTable } from './audit-maintenance';

export interface AuditFixture {
  database: TestDatabase;
  pool: pg.Pool;
  /** Every stored entry, oldest first. */
  rows(): Promise<Record<string, any>[]>;
  /** Deletes every entry (as maintenance: the append-only guard refuses a plain DELETE). */
  clear(): Promise<void>;
  close(): Promise<void>;
}

/** A fresh PostgreSQL database with the audit table (native partitions: no TimescaleDB there). */
export async function createAuditFixture(): Promise<AuditFixture> {
  const database = await createTestDatabase({ prefix: 'audit' });
  const pool = new pg.Pool({ connectionString: database.url, max: 4 });
  await migrateAudit(pool, { timescale: false });
  return {
    database,
    pool,
    rows: async () => (await pool.query('SELECT * FROM audit_log ORDER BY occurred_at, id')).rows,
    clear: () => clearAuditTable(pool),
    async close() {
      await pool.end();
      await database.drop();
    },
  };
}

/** Polls until `check` passes (entries travel asynchronously), failing after `ms`. */
export async function eventually<T>(check: () => Promise<T>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
