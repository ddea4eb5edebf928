import { and, eq, getTableName, is, Param, SQL, sql, StringChunk, type Table } from 'drizzle-orm';
import type { PgDialect } from 'drizzle-orm/pg-core';
import { UnscopableQueryError, WorkspaceMismatchException } from './tenancy.errors';
import { tenantColumnOf } from './tenant-table';

/** Returns the current workspace id or throws (fail closed). Called while SQL is built. */
export type WorkspaceResolver = (operation: string) => string;

type Config = Record<string, any>;
interface Join {
  table: unknown;
  on?: SQL;
  joinType: string;
}

/**
 * Every Drizzle query, whatever builder made it (select with joins and subqueries, insert,
 * update, delete, relational `query.*` with nested `with`), becomes SQL in one of the
 * dialect's build methods. Scoping there, rather than wrapping each builder, covers the
 * whole API with one small surface: a tenant table in FROM, JOIN, UPDATE or DELETE gets
 * `workspace_id = <current>` and inserts are stamped with it.
 *
 * The scoped dialect is a prototype child of the app's dialect, so casing and every other
 * setting stay the app's.
 */
export function createTenantDialect(base: PgDialect, workspace: WorkspaceResolver, tenantColumn?: string): PgDialect {
  const proto = Object.getPrototypeOf(base) as Record<string, (...args: any[]) => any>;
  const scoped = Object.create(base) as PgDialect & Record<string, unknown>;

  const filterFor = (table: unknown, operation: string): SQL | undefined => {
    const tenant = tenantColumnOf(table, tenantColumn);
    return tenant ? eq(tenant.column, workspace(operation)) : undefined;
  };

  const scopeJoins = (joins: Join[] | undefined, operation: string, extraWhere: (SQL | undefined)[]) =>
    joins?.map((join) => {
      const filter = filterFor(join.table, operation);
      if (!filter) return join;
      // A cross join has no ON clause: its filter belongs in WHERE.
      if (join.joinType === 'cross') {
        extraWhere.push(filter);
        return join;
      }
      return { ...join, on: and(join.on, filter) };
    });

  scoped.buildSelectQuery = function (config: Config) {
    const extra: (SQL | undefined)[] = [filterFor(config.table, 'select')];
    const joins = scopeJoins(config.joins, 'select', extra);
    return proto.buildSelectQuery!.call(this, { ...config, joins, where: and(config.where, ...extra) });
  };

  scoped.buildUpdateQuery = function (config: Config) {
    const extra: (SQL | undefined)[] = [filterFor(config.table, 'update'), filterFor(config.from, 'update')];
    const joins = scopeJoins(config.joins, 'update', extra);
    return proto.buildUpdateQuery!.call(this, { ...config, joins, where: and(config.where, ...extra) });
  };

  scoped.buildDeleteQuery = function (config: Config) {
    return proto.buildDeleteQuery!.call(this, { ...config, where: and(config.where, filterFor(config.table, 'delete')) });
  };

  scoped.buildInsertQuery = function (config: Config) {
    const tenant = tenantColumnOf(config.table, tenantColumn);
    if (!tenant) return proto.buildInsertQuery!.call(this, config);
    if (config.select) {
      throw new UnscopableQueryError(
        `INSERT ... SELECT into "${getTableName(config.table as Table)}" cannot be stamped with the workspace; insert values instead.`,
      );
    }
    const current = workspace('insert');
    const values = (config.values as Record<string, unknown>[]).map((row) => {
      const given = row[tenant.key];
      const value = is(given, Param) ? given.value : given;
      if (is(given, SQL) || (value !== undefined && value !== null && value !== current)) {
        throw new WorkspaceMismatchException(getTableName(config.table as Table));
      }
      return { ...row, [tenant.key]: new Param(current, tenant.column) };
    });
    const onConflict = config.onConflict ? scopeConflictUpdate(config.onConflict as SQL, eq(tenant.column, current)) : undefined;
    return proto.buildInsertQuery!.call(this, { ...config, values, onConflict });
  };

  // The SET of an update and of an upsert's DO UPDATE: neither may move a row to another workspace.
  scoped.buildUpdateSet = function (table: unknown, set: Record<string, unknown>) {
    assertSetKeepsWorkspace(table, set, workspace('update'), tenantColumn);
    return proto.buildUpdateSet!.call(this, table, set);
  };

  scoped.buildRelationalQueryWithoutPK = function (config: Config) {
    const tenant = tenantColumnOf(config.table, tenantColumn);
    if (!tenant) return proto.buildRelationalQueryWithoutPK!.call(this, config);
    const current = workspace('query');
    const queryConfig = config.queryConfig === true ? {} : config.queryConfig;
    const userWhere = queryConfig.where;
    // Nested `with` relations come back through this method (Drizzle recurses via `this`),
    // so every level of a relational query is scoped, `one` relations included.
    const where = (fields: Record<string, any>, operators: Record<string, any>) =>
      and(typeof userWhere === 'function' ? userWhere(fields, operators) : userWhere, eq(fields[tenant.key], current));
    return proto.buildRelationalQueryWithoutPK!.call(this, { ...config, queryConfig: { ...queryConfig, where } });
  };

  return scoped;
}

/**
 * `ON CONFLICT ... DO UPDATE` updates the row that conflicted, which a global unique key (a
 * uuid primary key, say) can find in another workspace. Adding the workspace to the DO UPDATE's
 * WHERE makes such a conflict update nothing, as if the row were not there. Drizzle builds the
 * clause as `(target)[ where ...] do update set <set>[ where <where>][ where <setWhere>]`, so
 * the user's own condition, when there is one, is the SQL after the SET.
 */
function scopeConflictUpdate(onConflict: SQL, scope: SQL): SQL {
  const chunks = onConflict.queryChunks;
  const doUpdate = chunks.findIndex((chunk) => is(chunk, StringChunk) && chunk.value.join('').includes('do update set'));
  if (doUpdate === -1) return onConflict; // DO NOTHING changes no row
  const head = chunks.slice(0, doUpdate + 2); // ... do update set <set>
  const conditions = chunks.slice(doUpdate + 2).filter((chunk): chunk is SQL => is(chunk, SQL));
  const userWhere = conditions.map((where) => new SQL(where.queryChunks.slice(1))); // after ' where '
  return sql.join([new SQL(head), sql` where `, and(...userWhere, scope)!]);
}

function assertSetKeepsWorkspace(table: unknown, set: Record<string, unknown>, current: string, tenantColumn?: string) {
  const tenant = tenantColumnOf(table, tenantColumn);
  if (!tenant || !(tenant.key in set)) return;
  const given = set[tenant.key];
  const value = is(given, Param) ? given.value : given;
  if (value === undefined) return;
  if (is(given, SQL) || value !== current) throw new WorkspaceMismatchException(getTableName(table as Table));
}
