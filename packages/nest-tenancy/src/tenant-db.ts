import { ContextService, isUuid, runInCommitScope, isStorableText } from '@acme/nest-context';
import { and, eq, getTableName, TransactionRollbackError, type SQL } from 'drizzle-orm';
import type { NodePgQueryResultHKT } from 'drizzle-orm/node-postgres';
import { getTableConfig, type PgColumn, type PgDatabase, type PgQueryResultHKT, type PgTable, type PgTransactionConfig } from 'drizzle-orm/pg-core';
import { dialectOf, keyKindOf, rebuildDatabase, refuseNamedPrepare } from './drizzle-internals';
import { oneRoundTripPool, runNodePgUnitOfWork } from './node-pg-unit-of-work';
import { resolveTenantDbOptions } from './resolve-tenancy-options';
import { setWorkspaceSql } from './rls';
import { TenantContextMissingError, TenantNotFoundException, UnscopableQueryError } from './tenancy.errors';
import { createTenantDialect } from './tenant-dialect';
import { tenantColumnOf } from './tenant-table';
import { activeUnitOfWork, runUnitOfWork } from './unit-of-work';

type AnyDatabase = PgDatabase<any, any, any>;

/** How a `TenantDb` scopes queries. */
export interface TenantDbOptions {
  /**
   * Run every unit of work in a transaction that sets the workspace for Postgres RLS policies.
   * Queries outside a unit of work (a request through TenancyModule, `transaction`, or
   * `Tenancy.runInWorkspace`) then throw instead of running unscoped by the database.
   * @default false
   */
  rls?: boolean;
  /** @default 'workspace_id' */
  tenantColumn?: string;
  /** @default 'app.workspace_id' */
  rlsSetting?: string;
}

/**
 * Whether `id` can be a value of `column` at all. One that cannot (a malformed UUID, a
 * non-integer or out-of-range number for an integer key, text with NUL or an unpaired
 * surrogate) names no row: the lookup is a 404 instead of a database error (a 500).
 */
function canBeKeyOf(column: PgColumn, id: unknown): boolean {
  if (typeof id !== 'string' && typeof id !== 'number') return false;
  const key = keyKindOf(column);
  if (key.kind === 'uuid') return isUuid(id);
  if (key.kind === 'integer') {
    const digits = typeof id === 'number' ? (Number.isSafeInteger(id) ? String(id) : null) : /^-?\d{1,20}$/.exec(id)?.[0];
    if (!digits) return false;
    const value = BigInt(digits);
    return value <= key.max && value >= -key.max - 1n;
  }
  return typeof id === 'number' ? Number.isFinite(id) : isStorableText(id);
}

/**
 * The app's Drizzle database, scoped to the current workspace: `select` (joins, subqueries,
 * aggregates), `insert`, `update`, `delete`, relational `query.*` and `transaction` behave as
 * in Drizzle, but every tenant table is filtered by the workspace of the request context,
 * inserts are stamped with it, and nothing runs without one.
 */
export class TenantDb<TSchema extends Record<string, unknown> = Record<string, never>, TQueryResult extends PgQueryResultHKT = NodePgQueryResultHKT> {
  private readonly context = new ContextService();
  private readonly scopedFor = new WeakMap<object, AnyDatabase>();
  private readonly dialect;
  /** Whether queries run in RLS units of work (`TenantDbOptions.rls`). */
  readonly rls: boolean;
  private readonly rlsSetting: string;
  private readonly tenantColumn: string;

  constructor(
    private readonly root: PgDatabase<TQueryResult, TSchema, any>,
    options: TenantDbOptions = {},
  ) {
    ({ rls: this.rls, rlsSetting: this.rlsSetting, tenantColumn: this.tenantColumn } = resolveTenantDbOptions(options));
    this.dialect = createTenantDialect(dialectOf(root), (operation) => this.workspaceId(operation), this.tenantColumn);
  }

  /** The current workspace id; throws `TenantContextMissingError` when there is none (fail closed). */
  workspaceId(operation = 'A query'): string {
    const workspaceId = this.context.get()?.workspaceId;
    if (!workspaceId) throw new TenantContextMissingError(operation);
    return workspaceId;
  }

  get select(): PgDatabase<TQueryResult, TSchema>['select'] {
    const db = this.current();
    return db.select.bind(db);
  }

  get selectDistinct(): PgDatabase<TQueryResult, TSchema>['selectDistinct'] {
    const db = this.current();
    return db.selectDistinct.bind(db);
  }

  get selectDistinctOn(): PgDatabase<TQueryResult, TSchema>['selectDistinctOn'] {
    const db = this.current();
    return db.selectDistinctOn.bind(db);
  }

  get insert(): PgDatabase<TQueryResult, TSchema>['insert'] {
    const db = this.current();
    return db.insert.bind(db);
  }

  get update(): PgDatabase<TQueryResult, TSchema>['update'] {
    const db = this.current();
    return db.update.bind(db);
  }

  get delete(): PgDatabase<TQueryResult, TSchema>['delete'] {
    const db = this.current();
    return db.delete.bind(db);
  }

  get with(): PgDatabase<TQueryResult, TSchema>['with'] {
    const db = this.current();
    return db.with.bind(db);
  }

  get $with(): PgDatabase<TQueryResult, TSchema>['$with'] {
    const db = this.current();
    return db.$with.bind(db);
  }

  /** Relational queries (`query.companies.findMany({ with: { contacts: true } })`), scoped at every level. */
  get query(): PgDatabase<TQueryResult, TSchema>['query'] {
    return this.current().query as PgDatabase<TQueryResult, TSchema>['query'];
  }

  /** `count(*)` of a source; a tenant table counts only the current workspace's rows. */
  $count(source: PgTable | SQL, filters?: SQL): ReturnType<AnyDatabase['$count']> {
    const tenant = tenantColumnOf(source, this.tenantColumn);
    const scope = tenant ? eq(tenant.column, this.workspaceId('$count')) : undefined;
    return this.current().$count(source, and(filters, scope));
  }

  /**
   * Raw SQL. Not rewritten: with `rls: true` it runs in the unit of work's transaction and the
   * database policies scope it; without RLS, filter by workspace yourself. Either way it needs a
   * workspace in context, like every other query (fail closed).
   */
  get execute(): PgDatabase<TQueryResult, TSchema>['execute'] {
    this.workspaceId('execute');
    const db = this.current();
    return db.execute.bind(db);
  }

  /**
   * Runs `fn` in a transaction: a savepoint when one of the same workspace is already open, a
   * transaction of its own (another connection) inside one of another workspace, as with
   * `Tenancy.runInWorkspace(B)` during a request of A. The callback receives this TenantDb,
   * which uses the transaction for everything called inside it.
   */
  async transaction<T>(fn: (tx: this) => Promise<T>, config?: PgTransactionConfig): Promise<T> {
    const workspaceId = this.workspaceId('transaction');
    const active = activeUnitOfWork(this.root);
    const outer = active?.workspaceId === workspaceId ? active : undefined;
    const open = (tx: AnyDatabase) => runUnitOfWork({ owner: this.root, tx, workspaceId }, () => fn(this));
    // A commit scope, so that work deferred with nest-context's afterCommit (audit entries) waits
    // for this transaction's commit, or for the outer one's when this is a savepoint.
    return runInCommitScope(
      () => {
        const pool = this.rls && !outer ? oneRoundTripPool(this.root, workspaceId, config) : undefined;
        if (pool) return runNodePgUnitOfWork(pool, workspaceId, this.rlsSetting, open);
        const executor = (outer?.tx ?? this.root) as AnyDatabase;
        return executor.transaction(async (tx) => {
          if (this.rls && !outer) await tx.execute(setWorkspaceSql(workspaceId, this.rlsSetting));
          return open(tx);
        }, config);
      },
      { savepoint: outer !== undefined },
    );
  }

  /** Rolls back the innermost transaction (as Drizzle's `tx.rollback()`). */
  rollback(): never {
    throw new TransactionRollbackError();
  }

  /** The row with this primary key in the current workspace, or a 404 `TenantNotFoundException`. */
  async findOneOrThrow<T extends PgTable>(table: T, id: string | number): Promise<T['$inferSelect']> {
    const key = this.idColumn(table, id);
    const [row] = await (this.select().from(table as PgTable) as any).where(eq(key, id)).limit(1);
    if (!row) throw new TenantNotFoundException(getTableName(table));
    return row;
  }

  /** Updates the row with this primary key in the current workspace and returns it, or 404. */
  async updateOrThrow<T extends PgTable>(table: T, id: string | number, values: Partial<T['$inferInsert']>): Promise<T['$inferSelect']> {
    const key = this.idColumn(table, id);
    const [row] = await (this.update(table as PgTable).set(values as never) as any).where(eq(key, id)).returning();
    if (!row) throw new TenantNotFoundException(getTableName(table));
    return row;
  }

  /** Deletes the row with this primary key in the current workspace and returns it, or 404. */
  async deleteOrThrow<T extends PgTable>(table: T, id: string | number): Promise<T['$inferSelect']> {
    const key = this.idColumn(table, id);
    const [row] = await (this.delete(table as PgTable) as any).where(eq(key, id)).returning();
    if (!row) throw new TenantNotFoundException(getTableName(table));
    return row;
  }

  /** The scoped database for the current unit of work's transaction, or for the root outside one. */
  private current(): AnyDatabase {
    const unit = activeUnitOfWork(this.root);
    if (!unit && this.rls) {
      throw new TenantContextMissingError('With rls: true, a query outside a unit of work');
    }
    const executor = (unit?.tx ?? this.root) as AnyDatabase;
    let scoped = this.scopedFor.get(executor);
    if (!scoped) {
      scoped = rebuildDatabase(executor, this.dialect, (session) => refuseNamedPrepare(session, refusePrepare));
      this.scopedFor.set(executor, scoped);
    }
    return scoped;
  }

  /**
   * The id column of `findOneOrThrow` and friends. An id that cannot be a value of it (a path
   * parameter with NUL, `abc` for an integer key) is a 404, not a database error.
   */
  private idColumn(table: PgTable, id: string | number): PgColumn {
    const config = getTableConfig(table);
    const tenant = tenantColumnOf(table, this.tenantColumn);
    const column = config.columns.find((c) => c.primary) ?? config.primaryKeys[0]?.columns.find((c) => c.name !== tenant?.column.name);
    if (!column)
      throw new UnscopableQueryError(`table "${config.name}" has no primary key, and findOneOrThrow, updateOrThrow and deleteOrThrow look rows up by it.`);
    if (!canBeKeyOf(column, id)) throw new TenantNotFoundException(config.name);
    return column;
  }
}

/**
 * `.prepare(name)` builds the SQL once, with the workspace of that moment bound into it, and
 * every later `execute()` would serve that workspace's rows to whichever workspace runs it.
 */
const refusePrepare = (name: string) =>
  new UnscopableQueryError(
    `prepare("${name}") would bind the current workspace into the statement for good; run the query without prepare(), or prepare it on a database scoped by hand.`,
  );

/**
 * Scopes a Drizzle node-postgres (or any pg-core) database to the current workspace, outside
 * Nest's DI. Inside a Nest app inject `TenantDb` instead.
 */
export function tenantDb<TSchema extends Record<string, unknown>, TQueryResult extends PgQueryResultHKT>(
  db: PgDatabase<TQueryResult, TSchema, any>,
  options?: TenantDbOptions,
): TenantDb<TSchema, TQueryResult> {
  return new TenantDb(db, options);
}
