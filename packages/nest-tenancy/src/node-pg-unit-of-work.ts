import { isStorableText } from '@acme/nest-context';
import { nodePgPoolOf, type AnyPgDatabase, type NodePgPool, type PgPoolClient } from './drizzle-internals';
import { sendWithOpening, SET_WORKSPACE, type OpeningQueryClient } from './opening-query';

/** How the opening sent with a first statement is logged (its values go as parameters). */
const OPENING = `begin; ${SET_WORKSPACE}`;

/**
 * The pool `runNodePgUnitOfWork` can open this unit of work on: a node-postgres pool, no
 * transaction options, and a workspace id that survives the trip as text (no NUL, no unpaired
 * surrogate). Otherwise undefined, and the unit of work takes Drizzle's `transaction()`.
 */
export function oneRoundTripPool(root: AnyPgDatabase, workspaceId: string, config: unknown): NodePgPool | undefined {
  return config === undefined && isStorableText(workspaceId) ? nodePgPoolOf(root) : undefined;
}

/**
 * Runs an RLS unit of work on node-postgres, opening its transaction at its first statement:
 * a unit of work that sends none (a request answered from a cache, a refusal) never checks out
 * a connection. The opening travels with that first statement, in one round trip where
 * Drizzle's `transaction()` followed by `execute(set_config)` and the statement take three:
 *  - a statement with parameters (what Drizzle's query builders send) carries `begin` and the
 *    transaction-local `set_config` in its own message batch (see opening-query.ts);
 *  - any other opens the transaction first, `begin` and `set_config` as one simple-protocol
 *    message (values quoted with pg's `escapeLiteral`: that protocol takes no parameters).
 * Otherwise it is Drizzle's transaction: the callback gets a `NodePgTransaction` (nested
 * `transaction()` calls are savepoints), a throw rolls back, and the connection goes back to the
 * pool either way.
 */
export async function runNodePgUnitOfWork<T>(pool: NodePgPool, workspaceId: string, setting: string, fn: (tx: AnyPgDatabase) => Promise<T>): Promise<T> {
  const connection = new DeferredConnection(pool, setting, workspaceId);
  try {
    const result = await fn(await pool.transactionOn(connection as unknown as PgPoolClient));
    await connection.finish('commit');
    return result;
  } catch (error) {
    // A connection that cannot even roll back is not handed to the next request.
    await connection.finish('rollback').catch(() => undefined);
    throw error;
  } finally {
    connection.release();
  }
}

/**
 * What Drizzle's session sees as its client: checks out a pooled connection and opens the
 * transaction on the first `query`, then forwards to it. (Its class name must not contain
 * "Pool": Drizzle takes such a client for a pool.)
 */
class DeferredConnection {
  private opening?: Promise<PgPoolClient>;
  private client?: PgPoolClient;
  private opened = false;
  private broken?: Error;
  // The pool listens for errors only on idle connections: one lost while checked out here (the
  // server restarting, a terminated backend) would be an unhandled 'error' that kills the
  // process. The query in flight rejects with it anyway; the connection is discarded.
  private readonly onError = (error: Error) => (this.broken ??= error);

  constructor(
    private readonly pool: NodePgPool,
    private readonly setting: string,
    private readonly workspaceId: string,
  ) {}

  query(...args: unknown[]): Promise<unknown> {
    if (this.opening) return this.opening.then((client) => forward(client, args));
    let carried: Promise<unknown> | undefined;
    const opening = this.open((client) => (carried = this.sendWithOpening(client, args)));
    return opening.then((client) => carried ?? forward(client, args));
  }

  /** Commits or rolls back the transaction, if one was opened. */
  async finish(statement: 'commit' | 'rollback'): Promise<void> {
    if (!this.opening) return;
    const client = await this.opening.catch(() => undefined);
    if (!client || !this.opened) return;
    try {
      await this.run(client, statement);
    } catch (error) {
      this.broken ??= error as Error;
      throw error;
    }
  }

  /** Gives the connection back to the pool (discarded when it broke). */
  release(): void {
    if (!this.client) return;
    this.client.off('error', this.onError);
    this.client.release(this.broken);
    this.client = undefined;
  }

  /**
   * Checks out the connection and opens the transaction, with the first statement when `carry`
   * sends it (then its own result is the statement's), else on its own.
   */
  private open(carry: (client: PgPoolClient) => Promise<unknown> | undefined): Promise<PgPoolClient> {
    return (this.opening ??= (async () => {
      const client = await this.pool.connect();
      this.client = client;
      client.on('error', this.onError);
      // Sent with the statement, the opening is in flight: whatever the statement answers, the
      // transaction may be open, so the end of the unit of work commits or rolls it back.
      if (carry(client)) {
        this.opened = true;
        return client;
      }
      try {
        await this.run(client, `begin; select set_config(${client.escapeLiteral(this.setting)}, ${client.escapeLiteral(this.workspaceId)}, true)`);
      } catch (error) {
        this.broken ??= error as Error; // in an unknown state: not for the next request
        throw error;
      }
      this.opened = true;
      return client;
    })());
  }

  private sendWithOpening(client: PgPoolClient, args: unknown[]): Promise<unknown> | undefined {
    const sent = sendWithOpening(client as unknown as OpeningQueryClient, this.setting, this.workspaceId, args);
    if (sent) this.pool.logQuery(OPENING, [this.setting, this.workspaceId]);
    return sent;
  }

  private run(client: PgPoolClient, text: string): Promise<unknown> {
    this.pool.logQuery(text);
    return client.query(text);
  }
}

/** `client.query(...args)` with the arguments Drizzle's session gave this connection, whatever their form. */
function forward(client: PgPoolClient, args: unknown[]): Promise<unknown> {
  return (client.query as (...a: unknown[]) => Promise<unknown>)(...args);
}
