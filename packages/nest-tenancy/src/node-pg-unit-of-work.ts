import { entityKind } from 'drizzle-orm';
import type { PgDatabase } from 'drizzle-orm/pg-core';

type AnyDatabase = PgDatabase<any, any, any>;
type NodePgModule = typeof import('drizzle-orm/node-postgres');

interface PoolClient {
  query(text: string): Promise<unknown>;
  release(destroy?: Error | boolean): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
}

interface NodePgRootSession {
  client: { connect(): Promise<PoolClient> };
  dialect: unknown;
  schema: unknown;
  options: unknown;
  logger: { logQuery(query: string, params: unknown[]): void };
}

// Inlined into the statement text (the simple protocol takes no parameters), so only values
// that need no quoting qualify; anything else takes the parameterised path.
const PLAIN_WORKSPACE_ID = /^[0-9A-Za-z-]{1,64}$/;
const PLAIN_SETTING = /^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/;

// Loaded on first use: only apps on node-postgres (so with `pg` installed) ever get here.
let nodePg: Promise<NodePgModule> | undefined;

/** The node-postgres session of `root` when it runs on a `pg.Pool`, else undefined. */
function nodePgPoolSession(root: AnyDatabase): NodePgRootSession | undefined {
  const session = (root as unknown as { session?: NodePgRootSession & { constructor: Record<symbol, unknown> } }).session;
  if (session?.constructor[entityKind] !== 'NodePgSession') return undefined;
  // drizzle's own test for a pool (pg.Pool or a subclass); a single pg.Client has no release().
  const name = Object.getPrototypeOf(session.client)?.constructor?.name ?? '';
  return name.includes('Pool') ? session : undefined;
}

/**
 * Whether `runNodePgUnitOfWork` can open this unit of work: a node-postgres pool, no
 * transaction options, and a workspace id and setting name that are plain tokens.
 */
export function canOpenInOneRoundTrip(root: AnyDatabase, workspaceId: string, setting: string, config: unknown): boolean {
  return config === undefined && PLAIN_WORKSPACE_ID.test(workspaceId) && PLAIN_SETTING.test(setting) && nodePgPoolSession(root) !== undefined;
}

/**
 * Opens an RLS unit of work's transaction on node-postgres in ONE round trip: `begin` and the
 * transaction-local `set_config` travel as one simple-protocol message, where Drizzle's
 * `transaction()` followed by `execute(set_config)` takes two. Every request under RLS pays
 * this, so it is a tenth of a ten-statement request. Otherwise it is Drizzle's transaction:
 * the callback gets a `NodePgTransaction` (nested `transaction()` calls are savepoints), a
 * throw rolls back, and the connection goes back to the pool either way.
 */
export async function runNodePgUnitOfWork<T>(
  root: AnyDatabase,
  workspaceId: string,
  setting: string,
  fn: (tx: AnyDatabase) => Promise<T>,
): Promise<T> {
  const session = nodePgPoolSession(root)!;
  const { NodePgSession, NodePgTransaction } = await (nodePg ??= import('drizzle-orm/node-postgres'));
  const client = await session.client.connect();
  const run = (text: string) => {
    session.logger.logQuery(text, []);
    return client.query(text);
  };
  let broken: Error | undefined;
  // The pool listens for errors only on idle connections: one lost while checked out here (the
  // server restarting, a terminated backend) would be an unhandled 'error' that kills the
  // process. The query in flight rejects with it anyway; the connection is discarded.
  const onError = (error: Error) => (broken ??= error);
  client.on('error', onError);
  try {
    await run(`begin; select set_config('${setting}', '${workspaceId}', true)`);
    const txSession = new NodePgSession(client as never, session.dialect as never, session.schema as never, session.options as never);
    const tx = new NodePgTransaction(session.dialect as never, txSession, session.schema as never);
    try {
      const result = await fn(tx);
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
