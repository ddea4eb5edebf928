/**
 * What the storage and query functions need from node-postgres: a `pg.Pool`, a `pg.PoolClient`
 * or a connected `pg.Client` (anything with a compatible `query`).
 */
export interface SqlQueryable {
  query(text: string, params?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>;
}

/** A connection checked out of a pool: released once its work is done (discarded when given an error). */
export interface PooledSqlClient extends SqlQueryable {
  release(error?: Error | boolean): void;
  on?(event: 'error', listener: (error: Error) => void): unknown;
  off?(event: 'error', listener: (error: Error) => void): unknown;
}

/** A `pg.Pool` (each query may run on another connection): work that spans queries checks a connection out. */
export interface SqlPool extends SqlQueryable {
  readonly totalCount: number;
  connect(): Promise<PooledSqlClient>;
}

/** Whether `db` is a pool rather than one connection. */
export function isSqlPool(db: unknown): db is SqlPool {
  const candidate = db as Partial<SqlPool> | null;
  return typeof candidate?.connect === 'function' && typeof candidate.totalCount === 'number';
}

/**
 * Runs `work` on a connection checked out of `pool` and gives it back; `discard(error)` marks it
 * broken (a ROLLBACK or unlock that failed), so the pool closes it instead of reusing it.
 *
 * While it is checked out, the connection's 'error' event is listened to here: node-postgres
 * emits it when the server goes away (a restart, a failover) and the pool listens only to idle
 * connections, so an unheard one would end the process. The query in flight rejects anyway,
 * and a connection that emitted it is discarded.
 */
export async function withPooledClient<T>(pool: SqlPool, work: (client: SqlQueryable, discard: (error: Error) => void) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const lost = (error: Error) => (broken ??= error);
  client.on?.('error', lost);
  try {
    return await work(client, lost);
  } finally {
    client.off?.('error', lost);
    client.release(broken);
  }
}

/**
 * Runs `work` in one transaction: on a connection checked out of `db` when it is a pool, else on
 * `db` itself (a client the caller holds). Committed when `work` resolves, rolled back when it throws.
 */
export async function inTransaction<T>(db: SqlQueryable, work: (client: SqlQueryable) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const run = async (client: SqlQueryable, discard: (error: Error) => void) => {
    await client.query(begin);
    try {
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(discard);
      throw error;
    }
  };
  return isSqlPool(db) ? withPooledClient(db, run) : run(db, () => undefined);
}

// One key for every audit storage change (migration, partition maintenance): processes that
// start together serialize on it instead of racing on IF NOT EXISTS, which is not atomic.
const LOCK_KEY = '7306172811843551331';

/**
 * Runs `work` in one transaction on one connection (checked out of the pool when given a pool),
 * holding the audit storage advisory lock until commit.
 */
export async function inStorageTransaction<T>(db: SqlQueryable, work: (client: SqlQueryable) => Promise<T>): Promise<T> {
  return inTransaction(db, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [LOCK_KEY]);
    return work(client);
  });
}
