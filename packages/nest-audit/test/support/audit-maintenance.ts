import type pg from 'pg';

/**
 * Runs `work` in a transaction that set `acme_audit.maintenance` (as the package's retention and
 * erasure do), so a test may delete or change audit rows despite the append-only guard.
 */
export async function asAuditMaintenance<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT set_config('acme_audit.maintenance', 'on', true)");
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Empties an audit table between tests (the guard refuses a plain DELETE). */
export async function clearAuditTable(pool: pg.Pool, table = 'audit_log'): Promise<void> {
  await asAuditMaintenance(pool, (client) => client.query(`DELETE FROM ${table}`));
}
