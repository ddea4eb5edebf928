/**
 * The first statement of an RLS unit of work, sent with the transaction's opening in one message
 * batch: `begin`, `select set_config(<setting>, <workspace>, true)` and the statement travel as
 * extended-protocol messages closed by a single Sync, so PostgreSQL answers them with one
 * ReadyForQuery and the request pays one round trip where it paid two. The workspace id is a bound
 * parameter. The batch runs in order: the statement runs after the workspace is set, in the open
 * transaction, and an error anywhere skips the rest of it.
 *
 * It is a node-postgres `Query` (the class of the app's own `pg`, taken from the client) whose
 * `submit` writes the two opening statements before the query's own messages, and whose handlers
 * drop what the opening answers (two CommandCompletes, set_config's row), so the caller gets the
 * statement's result as if it had been sent alone.
 */

/** The parts of a node-postgres connection the opening messages are written with. */
interface PgConnection {
  stream: { cork?(): void; uncork?(): void };
  parse(message: { text: string }): void;
  bind(message: { values?: unknown[] }): void;
  execute(message: Record<string, never>): void;
}

/** The parts of node-postgres's `Query` this subclass relies on. */
interface PgQuery {
  text?: unknown;
  values?: unknown;
  name?: unknown;
  rows?: unknown;
  callback?: (error: Error | null, result?: unknown) => void;
  requiresPreparation(): boolean;
  submit(connection: PgConnection): Error | null;
  handleDataRow(message: unknown): void;
  handleCommandComplete(message: unknown, connection: PgConnection): void;
}
type PgQueryClass = new (config: unknown, values?: unknown) => PgQuery;

/** A checked-out node-postgres client, as far as sending an opening query goes. */
export interface OpeningQueryClient {
  constructor: unknown;
  query(query: PgQuery): unknown;
}

/** The opening's second statement; its parameters are the setting's name and the workspace id. */
export const SET_WORKSPACE = 'select set_config($1, $2, true)';
/** Statements of the opening whose answers the caller never sees. */
const OPENING_STATEMENTS = 2;

const openingClasses = new WeakMap<PgQueryClass, PgQueryClass>();

/**
 * Sends `begin`, the workspace setting and the statement `args` (as Drizzle passes them to
 * `client.query`) in one round trip and resolves with the statement's result. Undefined when
 * this statement cannot carry the opening (see {@link openingQueryClass}), without sending anything.
 */
export function sendWithOpening(client: OpeningQueryClient, setting: string, workspaceId: string, args: unknown[]): Promise<unknown> | undefined {
  const Opening = openingQueryClass(client);
  if (!Opening || args.length > 2 || typeof args[1] === 'function') return undefined;
  const query = new Opening(args[0], args[1]) as PgQuery & { opening: unknown[] };
  // Only an unnamed statement with parameters goes through the extended protocol anyway: one
  // without may hold several statements (a simple query), and a named one is prepared once per
  // connection. A query pg would refuse (no text, values not an array) is not one either.
  if (!query.requiresPreparation() || query.name || query.rows || typeof query.text !== 'string' || !Array.isArray(query.values)) return undefined;
  query.opening = [setting, workspaceId];
  return new Promise((resolve, reject) => {
    query.callback = (error, result) => (error ? reject(error) : resolve(result));
    client.query(query);
  });
}

/** node-postgres's `Query` of this client (`Client.Query`) with the opening, or undefined on another client (pg-native). */
function openingQueryClass(client: OpeningQueryClient): PgQueryClass | undefined {
  const Query = (client.constructor as { Query?: PgQueryClass } | undefined)?.Query;
  if (typeof Query !== 'function' || typeof Query.prototype.submit !== 'function') return undefined;
  let Opening = openingClasses.get(Query);
  if (!Opening) {
    Opening = class OpeningQuery extends Query {
      opening: unknown[] = [];
      private unanswered = OPENING_STATEMENTS;

      override submit(connection: PgConnection): Error | null {
        connection.stream.cork?.();
        try {
          connection.parse({ text: 'begin' });
          connection.bind({});
          connection.execute({});
          connection.parse({ text: SET_WORKSPACE });
          connection.bind({ values: this.opening });
          connection.execute({});
          return super.submit(connection);
        } finally {
          connection.stream.uncork?.();
        }
      }

      override handleDataRow(message: unknown): void {
        if (this.unanswered === 0) super.handleDataRow(message);
      }

      override handleCommandComplete(message: unknown, connection: PgConnection): void {
        if (this.unanswered > 0) this.unanswered--;
        else super.handleCommandComplete(message, connection);
      }
    };
    openingClasses.set(Query, Opening);
  }
  return Opening;
}
