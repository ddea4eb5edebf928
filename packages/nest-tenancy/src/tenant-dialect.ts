import { and, eq, getTableName, is, Param, SQL, type Table } from 'drizzle-orm';
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
    assertSetKeepsWorkspace(config.table, config.set, workspace('update'), tenantColumn);
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
    return proto.buildInsertQuery!.call(this, { ...config, values });
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

function assertSetKeepsWorkspace(table: unknown, set: Record<string, unknown>, current: string, tenantColumn?: string) {
  const tenant = tenantColumnOf(table, tenantColumn);
  if (!tenant || !(tenant.key in set)) return;
  const given = set[tenant.key];
  const value = is(given, Param) ? given.value : given;
  if (value === undefined) return;
  if (is(given, SQL) || value !== current) throw new WorkspaceMismatchException(getTableName(table as Table));
}
