import { isStorableText } from '@acme/nest-context';
import { nodePgPoolOf, type AnyPgDatabase, type NodePgPool } from './drizzle-internals';

/**
 * The pool `runNodePgUnitOfWork` can open this unit of work on: a node-postgres pool, no
 * transaction options, and a workspace id that survives the trip as text (no NUL, no unpaired
 * surrogate). Otherwise undefined, and the unit of work takes Drizzle's `transaction()`.
 */
export function oneRoundTripPool(root: AnyPgDatabase, workspaceId: string, config: unknown): NodePgPool | undefined {
  return config === undefined && isStorableText(workspaceId) ? nodePgPoolOf(root) : undefined;
}

/**
 * Opens an RLS unit of work's transaction on node-postgres in ONE round trip: `begin` and the
 * transaction-local `set_config` travel as one simple-protocol message (values quoted with
 * pg's `escapeLiteral`: that protocol takes no parameters), where Drizzle's `transaction()`
 * followed by `execute(set_config)` takes two. Every request under RLS pays this, so it is a
 * tenth of a ten-statement request. Otherwise it is Drizzle's transaction: the callback gets a
 * `NodePgTransaction` (nested `transaction()` calls are savepoints), a throw rolls back, and
 * the connection goes back to the pool either way.
 */
export async function runNodePgUnitOfWork<T>(pool: NodePgPool, workspaceId: string, setting: string, fn: (tx: AnyPgDatabase) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const run = (text: string) => {
    pool.logQuery(text);
    return client.query(text);
  };
  let broken: Error | undefined;
  // The pool listens for errors only on idle connections: one lost while checked out here (the
  // server restarting, a terminated backend) would be an unhandled 'error' that kills the
  // process. The query in flight rejects with it anyway; the connection is discarded.
  const onError = (error: Error) => (broken ??= error);
  client.on('error', onError);
  try {
    await run(`begin; select set_config(${client.escapeLiteral(setting)}, ${client.escapeLiteral(workspaceId)}, true)`);
    try {
      const result = await fn(await pool.transactionOn(client));
      await run('commit');
      return result;
    } catch (error) {
      // A connection that cannot even roll back is not handed to the next request.
      await run('rollback').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    }
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
