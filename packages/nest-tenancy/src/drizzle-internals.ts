/**
 * Every use this package makes of Drizzle's internals, and nothing else. Drizzle has no public
 * hook to scope queries, so tenancy relies on how drizzle-orm builds them: the dialect's build
 * methods and the config objects they receive, the parts a database object is made of, the
 * session's `prepareQuery`, the shape of an upsert's SQL, node-postgres's session classes.
 * Each of them is tested in test/drizzle-internals.spec.ts, which runs against the lowest and
 * the highest drizzle-orm of the supported range (`pnpm test:drizzle-range`): when drizzle
 * changes one, that test names it. What can be checked at run time is checked here too, so a
 * drizzle-orm outside the range fails when a TenantDb is created, never by running a query unscoped.
 */
import { and, entityKind, is, Param, SQL, sql, StringChunk, Table, type Column } from 'drizzle-orm';
import { PgDatabase, type PgDialect } from 'drizzle-orm/pg-core';
import { DrizzleUnsupportedError } from './tenancy.errors';

/** The drizzle-orm versions this package is tested with (the peer range of package.json). */
export const SUPPORTED_DRIZZLE = '>=0.44.0 <0.46.0';

export type AnyPgDatabase = PgDatabase<any, any, any>;

/** What a pg-core database (and a transaction, which is one) is made of. */
interface DatabaseParts {
  dialect: PgDialect;
  session: object;
  /** The relational schema config: `{ schema, fullSchema, tableNamesMap, session }`. */
  _: { fullSchema?: Record<string, unknown> };
}

const partsOf = (db: object) => db as unknown as DatabaseParts;

function unsupported(what: string): never {
  throw new DrizzleUnsupportedError(what, SUPPORTED_DRIZZLE);
}

// --- Database objects -----------------------------------------------------------------------

/** Whether `value` is a Drizzle pg-core database (node-postgres, postgres.js, ...): has a dialect, a session and `select`. */
export function isPgDatabase(value: unknown): value is AnyPgDatabase {
  return (
    typeof value === 'object' && value !== null && 'dialect' in value && 'session' in value && typeof (value as { select?: unknown }).select === 'function'
  );
}

/** The dialect that turns `db`'s query builders into SQL. */
export function dialectOf(db: AnyPgDatabase): PgDialect {
  const { dialect } = partsOf(db);
  if (typeof dialect !== 'object' || dialect === null) unsupported('a database has no `dialect`');
  return dialect;
}

/** The tables and relations given to `drizzle(client, { schema })`, or `{}` without a schema. */
export function fullSchemaOf(db: AnyPgDatabase): Record<string, unknown> {
  return partsOf(db)._?.fullSchema ?? {};
}

/**
 * A database that runs on `db`'s connection (its session: the pool, or a transaction's client)
 * and schema, but builds SQL with `dialect` and prepares statements through `wrapSession`.
 */
export function rebuildDatabase(db: AnyPgDatabase, dialect: PgDialect, wrapSession: <S extends object>(session: S) => S): AnyPgDatabase {
  const { session, _: schema } = partsOf(db);
  if (typeof session !== 'object' || session === null || typeof schema !== 'object') unsupported('a database has no `session` or `_`');
  return new PgDatabase(dialect, wrapSession(session) as never, schema as never);
}

// --- Sessions -------------------------------------------------------------------------------

interface PreparingSession {
  prepareQuery(query: unknown, fields: unknown, name: string | undefined, ...rest: unknown[]): unknown;
}

/**
 * `session`, except that `prepareQuery` with a name (what `.prepare(name)` calls) throws
 * `refusal(name)`. Plain queries, which Drizzle prepares unnamed on every call, pass through.
 */
export function refuseNamedPrepare<S extends object>(session: S, refusal: (name: string) => Error): S {
  const base = session as unknown as PreparingSession;
  if (typeof base.prepareQuery !== 'function') unsupported('a session has no `prepareQuery`');
  const wrapped = Object.create(session) as PreparingSession;
  wrapped.prepareQuery = function (query, fields, name, ...rest) {
    if (name) throw refusal(name);
    return base.prepareQuery.call(this, query, fields, name, ...rest);
  };
  return wrapped as unknown as S;
}

// --- Values written by insert and update -----------------------------------------------------

/** What an insert row or an update's SET gives one column: nothing, SQL, or a value. */
export type WrittenValue = { kind: 'absent' } | { kind: 'sql' } | { kind: 'value'; value: unknown };

/**
 * Reads one column of an insert row or update SET as the builders pass them to the dialect
 * (values wrapped in `Param`, expressions as `SQL`, left-out columns absent or undefined).
 */
export function writtenValue(row: Record<string, unknown>, key: string): WrittenValue {
  const given = row[key];
  if (is(given, SQL)) return { kind: 'sql' };
  const value = is(given, Param) ? given.value : given;
  return value === undefined ? { kind: 'absent' } : { kind: 'value', value };
}

/** `value` as the builders bind a value of `column`. */
export function boundValue(value: unknown, column: Column): unknown {
  return new Param(value, column);
}

// --- Primary key columns --------------------------------------------------------------------

const INTEGER_MAX: Record<string, bigint> = {
  PgSmallInt: 32_767n,
  PgSmallSerial: 32_767n,
  PgInteger: 2_147_483_647n,
  PgSerial: 2_147_483_647n,
  PgBigInt53: 9_223_372_036_854_775_807n,
  PgBigSerial53: 9_223_372_036_854_775_807n,
  PgBigInt64: 9_223_372_036_854_775_807n,
  PgBigSerial64: 9_223_372_036_854_775_807n,
};

/** What values a key column holds, read from Drizzle's column class name (`columnType`). */
export type KeyKind = { kind: 'uuid' } | { kind: 'integer'; max: bigint } | { kind: 'other' };

export function keyKindOf(column: Column): KeyKind {
  if (column.columnType === 'PgUUID') return { kind: 'uuid' };
  const max = INTEGER_MAX[column.columnType];
  return max === undefined ? { kind: 'other' } : { kind: 'integer', max };
}

// --- Marks on tables ------------------------------------------------------------------------

/**
 * Sets `key` on the table object itself (not in a WeakMap): `alias()` returns a proxy that
 * passes unknown keys through to the table, so an aliased table carries the mark too.
 */
export function markTable(table: Table, key: symbol, value: unknown): void {
  Object.defineProperty(table, key, { value, enumerable: false, configurable: true });
}

/** The mark `key` of a table or of an `alias()` of it. */
export function tableMark(table: Table, key: symbol): unknown {
  return (table as unknown as Record<symbol, unknown>)[key];
}

// --- Dialect --------------------------------------------------------------------------------

/** How a scoped dialect changes queries; `scopedDialect` applies it wherever Drizzle builds SQL. */
export interface QueryScope {
  /**
   * The condition that restricts a source (a table, alias, subquery, view or SQL in FROM, JOIN,
   * UPDATE, DELETE or an UPDATE's FROM) for `operation`, or undefined to leave it alone.
   */
  filter(source: unknown, operation: 'select' | 'update' | 'delete'): SQL | undefined;
  /**
   * The rows an insert into `table` writes instead of `rows`, and the condition added to an
   * upsert's `DO UPDATE ... WHERE`; undefined leaves the insert alone. `fromSelect`: the insert
   * is `INSERT ... SELECT` (no rows).
   */
  insert(table: Table, rows: Record<string, unknown>[], fromSelect: boolean): { rows: Record<string, unknown>[]; conflictScope: SQL } | undefined;
  /** Checks the SET of an update or of an upsert's DO UPDATE (throws to refuse it). */
  checkSet(table: Table, set: Record<string, unknown>): void;
  /** The condition for one level of a relational query over `table`, given its columns by TS key. */
  relational(table: Table, columns: Record<string, Column>): SQL | undefined;
}

/** The build methods every pg-core query goes through; overriding them scopes the whole API. */
export const DIALECT_BUILD_METHODS = [
  'buildSelectQuery',
  'buildInsertQuery',
  'buildUpdateQuery',
  'buildDeleteQuery',
  'buildUpdateSet',
  'buildRelationalQueryWithoutPK',
] as const;

type Config = Record<string, any>;
type BuildMethod = (this: PgDialect, ...args: any[]) => any;

interface Join {
  table: unknown;
  on?: SQL;
  joinType: string;
}

function requireKey(config: Config, key: string, method: string): void {
  if (!(key in config)) unsupported(`PgDialect.${method} received a config without \`${key}\``);
}

/**
 * A prototype child of `base` (so casing and every other setting stay the app's) whose build
 * methods apply `scope`. Every Drizzle query, whatever builder made it (select with joins and
 * subqueries, insert, update, delete, relational `query.*` with nested `with`), becomes SQL in
 * one of them.
 */
export function scopedDialect(base: PgDialect, scope: QueryScope): PgDialect {
  const proto = Object.getPrototypeOf(base) as Record<string, BuildMethod | undefined>;
  for (const method of DIALECT_BUILD_METHODS) {
    if (typeof proto[method] !== 'function') unsupported(`PgDialect.${method} does not exist`);
  }
  const call = (method: (typeof DIALECT_BUILD_METHODS)[number], self: PgDialect, ...args: unknown[]) => proto[method]!.apply(self, args);
  const scoped = Object.create(base) as Record<(typeof DIALECT_BUILD_METHODS)[number], BuildMethod>;

  const scopeJoins = (joins: Join[] | undefined, operation: 'select' | 'update', extraWhere: (SQL | undefined)[]) =>
    joins?.map((join) => {
      if (!('table' in join)) unsupported('a join config has no `table`');
      const filter = scope.filter(join.table, operation);
      if (!filter) return join;
      // A cross join has no ON clause: its filter belongs in WHERE.
      if (join.joinType === 'cross') {
        extraWhere.push(filter);
        return join;
      }
      return { ...join, on: and(join.on, filter) };
    });

  scoped.buildSelectQuery = function (this: PgDialect, config: Config) {
    requireKey(config, 'table', 'buildSelectQuery');
    const extra: (SQL | undefined)[] = [scope.filter(config.table, 'select')];
    const joins = scopeJoins(config.joins, 'select', extra);
    return call('buildSelectQuery', this, { ...config, joins, where: and(config.where, ...extra) });
  };

  scoped.buildUpdateQuery = function (this: PgDialect, config: Config) {
    requireKey(config, 'table', 'buildUpdateQuery');
    const extra: (SQL | undefined)[] = [scope.filter(config.table, 'update'), scope.filter(config.from, 'update')];
    const joins = scopeJoins(config.joins, 'update', extra);
    return call('buildUpdateQuery', this, { ...config, joins, where: and(config.where, ...extra) });
  };

  scoped.buildDeleteQuery = function (this: PgDialect, config: Config) {
    requireKey(config, 'table', 'buildDeleteQuery');
    return call('buildDeleteQuery', this, { ...config, where: and(config.where, scope.filter(config.table, 'delete')) });
  };

  scoped.buildInsertQuery = function (this: PgDialect, config: Config) {
    requireKey(config, 'table', 'buildInsertQuery');
    const fromSelect = Boolean(config.select);
    if (!fromSelect && !Array.isArray(config.values)) unsupported('PgDialect.buildInsertQuery received no `values` array');
    const stamped = scope.insert(config.table, fromSelect ? [] : config.values, fromSelect);
    if (!stamped) return call('buildInsertQuery', this, config);
    const onConflict = config.onConflict ? scopeConflictUpdate(config.onConflict as SQL, stamped.conflictScope) : undefined;
    return call('buildInsertQuery', this, { ...config, values: stamped.rows, onConflict });
  };

  // The SET of an update and of an upsert's DO UPDATE (built before the insert itself).
  scoped.buildUpdateSet = function (this: PgDialect, table: Table, set: Record<string, unknown>) {
    scope.checkSet(table, set);
    return call('buildUpdateSet', this, table, set);
  };

  scoped.buildRelationalQueryWithoutPK = function (this: PgDialect, config: Config) {
    requireKey(config, 'table', 'buildRelationalQueryWithoutPK');
    requireKey(config, 'queryConfig', 'buildRelationalQueryWithoutPK');
    if (!is(config.table, Table)) return call('buildRelationalQueryWithoutPK', this, config);
    const table = config.table as Table;
    const queryConfig = config.queryConfig === true ? {} : config.queryConfig;
    const userWhere = queryConfig.where;
    // Nested `with` relations come back through this method (Drizzle recurses via `this`), so
    // every level of a relational query is scoped, `one` relations included.
    const where = (columns: Record<string, Column>, operators: Record<string, unknown>) =>
      and(typeof userWhere === 'function' ? userWhere(columns, operators) : userWhere, scope.relational(table, columns));
    return call('buildRelationalQueryWithoutPK', this, { ...config, queryConfig: { ...queryConfig, where } });
  };

  return scoped as unknown as PgDialect;
}

/**
 * `ON CONFLICT ... DO UPDATE` updates the row that conflicted, which a global unique key (a
 * uuid primary key, say) can find in another workspace. Adding `scope` to the DO UPDATE's
 * WHERE makes such a conflict update nothing, as if the row were not there. Drizzle builds the
 * clause as `(target)[ where ...] do update set <set>[ where <where>][ where <setWhere>]`, so
 * the user's own condition, when there is one, is the SQL after the SET.
 */
export function scopeConflictUpdate(onConflict: SQL, scope: SQL): SQL {
  const chunks = onConflict.queryChunks;
  const doUpdate = chunks.findIndex((chunk) => is(chunk, StringChunk) && chunk.value.join('').includes('do update set'));
  if (doUpdate === -1) {
    // DO NOTHING changes no row; anything else is a shape this function does not know.
    if (chunks.some((chunk) => is(chunk, StringChunk) && chunk.value.join('').includes('do nothing'))) return onConflict;
    unsupported('an ON CONFLICT clause is neither `do nothing` nor `do update set`');
  }
  const head = chunks.slice(0, doUpdate + 2); // ... do update set <set>
  const conditions = chunks.slice(doUpdate + 2).filter((chunk): chunk is SQL => is(chunk, SQL));
  const userWhere = conditions.map((where) => new SQL(where.queryChunks.slice(1))); // after ' where '
  return sql.join([new SQL(head), sql` where `, and(...userWhere, scope)!]);
}

// --- node-postgres --------------------------------------------------------------------------

/** A client checked out of a `pg.Pool`, as far as the unit of work uses it. */
export interface PgPoolClient {
  query(text: string): Promise<unknown>;
  escapeLiteral(value: string): string;
  release(destroy?: Error | boolean): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
}

/** A node-postgres database on a pool: how to check out a client and run a transaction on it. */
export interface NodePgPool {
  connect(): Promise<PgPoolClient>;
  /** Logs a statement sent outside Drizzle through the database's own logger. */
  logQuery(text: string, params?: unknown[]): void;
  /** A Drizzle transaction on `client`, whose `begin` the caller already sent (nested ones are savepoints). */
  transactionOn(client: PgPoolClient): Promise<AnyPgDatabase>;
}

interface NodePgSessionParts {
  client: { connect(): Promise<PgPoolClient> };
  dialect: unknown;
  schema: unknown;
  options: unknown;
  logger: { logQuery(query: string, params: unknown[]): void };
  constructor: Record<symbol, unknown>;
}

// Loaded on first use: only apps on node-postgres (so with `pg` installed) ever get here.
let nodePg: Promise<typeof import('drizzle-orm/node-postgres')> | undefined;

/** The node-postgres pool behind `db` (a `pg.Pool` or a subclass), or undefined for any other driver or a single client. */
export function nodePgPoolOf(db: AnyPgDatabase): NodePgPool | undefined {
  const session = partsOf(db).session as NodePgSessionParts | undefined;
  if (session?.constructor?.[entityKind] !== 'NodePgSession') return undefined;
  // drizzle's own test for a pool (pg.Pool or a subclass); a single pg.Client has no release().
  const name = Object.getPrototypeOf(session.client)?.constructor?.name ?? '';
  if (!name.includes('Pool')) return undefined;
  return {
    connect: () => session.client.connect(),
    logQuery: (text, params = []) => session.logger.logQuery(text, params),
    async transactionOn(client) {
      const { NodePgSession, NodePgTransaction } = await (nodePg ??= import('drizzle-orm/node-postgres'));
      const txSession = new NodePgSession(client as never, session.dialect as never, session.schema as never, session.options as never);
      return new NodePgTransaction(session.dialect as never, txSession, session.schema as never) as unknown as AnyPgDatabase;
    },
  };
}
