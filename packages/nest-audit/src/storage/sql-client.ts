/**
 * What the storage and query functions need from node-postgres: a `pg.Pool`, a `pg.PoolClient`
 * or a connected `pg.Client` (anything with a compatible `query`).
 */
export interface SqlQueryable {
  query(text: string, params?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>;
}

interface SqlPool extends SqlQueryable {
  readonly totalCount: number;
  connect(): Promise<SqlQueryable & { release(error?: Error | boolean): void }>;
}

// One key for every audit storage change (migration, partition maintenance): processes that
// start together serialize on it instead of racing on IF NOT EXISTS, which is not atomic.
const LOCK_KEY = '7306172811843551331';

/**
 * Runs `work` in one transaction on one connection (checked out of the pool when given a pool),
 * holding the audit storage advisory lock until commit.
 */
export async function inStorageTransaction<T>(db: SqlQueryable, work: (client: SqlQueryable) => Promise<T>): Promise<T> {
  const pooled = isPool(db) ? await db.connect() : undefined;
  const client = pooled ?? db;
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [LOCK_KEY]);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    }
  } finally {
    // A connection whose ROLLBACK failed is in an unknown state: let the pool discard it.
    pooled?.release(broken);
  }
}

function isPool(db: SqlQueryable): db is SqlPool {
  const candidate = db as Partial<SqlPool>;
  return typeof candidate.connect === 'function' && typeof candidate.totalCount === 'number';
}
