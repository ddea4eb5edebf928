import { is, sql, type SQL } from 'drizzle-orm';
import { getTableConfig, PgDialect, PgTable } from 'drizzle-orm/pg-core';
import { isPgDatabase, type AnyPgDatabase } from './drizzle-internals';
import { readCatalogTable, type CatalogTable } from './distribution-readiness.catalog';
import { resolveTenantDbOptions } from './resolve-tenancy-options';
import { TenancyArgumentError } from './tenancy.errors';
import { tenantColumnOf } from './tenant-table';

/** What keeps a table from being distributed (or replicated) by Citus as it is. */
export type DistributionProblemKind =
  | 'Table Not Found'
  | 'Workspace Column Missing'
  | 'Workspace Column Type Differs'
  | 'Primary Key Without Workspace'
  | 'Unique Without Workspace'
  | 'Foreign Key Without Workspace'
  | 'Foreign Key To Unknown Table'
  | 'Foreign Key From Reference Table';

export interface DistributionProblem {
  kind: DistributionProblemKind;
  /** `schema.table` the problem is on. */
  table: string;
  /** The constraint or index at fault, or null for a problem of the whole table. */
  constraint: string | null;
  message: string;
  /** The SQL (or the step) that removes the problem. */
  fix: string;
}

export interface DistributionReadiness {
  /** True when `problems` is empty: `statements` would distribute the schema as it is. */
  ready: boolean;
  problems: DistributionProblem[];
  /** Tenant tables (`schema.table`), distributed by the workspace column and co-located. */
  distributed: string[];
  /** The other tables given, replicated to every node as reference tables. */
  reference: string[];
  /** `create_reference_table` then `create_distributed_table` calls, referenced tables first. */
  statements: string[];
}

export interface DistributionReadinessOptions {
  /** Column that marks tenant tables and that Citus distributes them by. @default 'workspace_id' */
  tenantColumn?: string;
}

const dialect = new PgDialect();
const render = (statement: SQL) => dialect.sqlToQuery(statement).sql;
const ident = (name: string) => render(sql`${sql.identifier(name)}`);
const qualified = (schema: string, name: string) => `${ident(schema)}.${ident(name)}`;
const literal = (value: string) => dialect.escapeString(value);

/**
 * Checks, on the live database, what Citus needs to distribute the tenant tables by the
 * workspace column and co-locate them: every primary key, unique constraint and unique index of
 * a tenant table includes the column, every foreign key between tenant tables pairs the column
 * with the other table's, and every other foreign key points at a reference table. `tables` is
 * a list of Drizzle tables or the schema given to `drizzle(client, { schema })`: the tenant
 * tables (as `TenantDb` sees them: the column, or `tenantTable()`) are distributed, the rest
 * are reference tables. Never throws for what it finds: each finding is a problem with its fix.
 */
export async function checkDistributionReadiness(
  db: AnyPgDatabase,
  tables: readonly PgTable[] | Record<string, unknown>,
  options: DistributionReadinessOptions = {},
): Promise<DistributionReadiness> {
  if (!isPgDatabase(db)) {
    throw new TenancyArgumentError('checkDistributionReadiness(): "db" must be a Drizzle Postgres database: drizzle(pool, { schema }).');
  }
  const { tenantColumn } = resolveTenantDbOptions(options, 'checkDistributionReadiness()');
  const given = Array.isArray(tables) ? tables : typeof tables === 'object' && tables !== null ? Object.values(tables) : null;
  if (given === null || (Array.isArray(tables) && !given.every((table) => is(table, PgTable)))) {
    throw new TenancyArgumentError('checkDistributionReadiness(): "tables" must be an array of Drizzle pgTable()s or a Drizzle schema object.');
  }
  const all = given.filter((table): table is PgTable => is(table, PgTable));
  const tenant = all.filter((table) => tenantColumnOf(table, tenantColumn) !== null);
  // Checking no tenant table would pass whatever the database holds: refuse instead.
  if (tenant.length === 0) {
    throw new TenancyArgumentError(
      `checkDistributionReadiness(): none of the tables given has the "${tenantColumn}" column: pass the tenant tables (or the Drizzle schema).`,
    );
  }
  const kindOf = new Map<string, 'distributed' | 'reference'>();
  const columnOf = new Map<string, string>();
  for (const table of all) {
    const { schema = 'public', name } = getTableConfig(table);
    const column = tenantColumnOf(table, tenantColumn);
    kindOf.set(`${schema}.${name}`, column ? 'distributed' : 'reference');
    if (column) columnOf.set(`${schema}.${name}`, column.column.name);
  }

  const problems: DistributionProblem[] = [];
  const catalog = new Map<string, CatalogTable>();
  for (const key of kindOf.keys()) {
    const [schema, name] = splitName(key);
    const found = await readCatalogTable(db, schema, name, columnOf.get(key) ?? tenantColumn);
    if (found) catalog.set(key, found);
    else
      problems.push({
        kind: 'Table Not Found',
        table: key,
        constraint: null,
        message: `${key} does not exist.`,
        fix: 'Run the migrations, or leave the table out of `tables`.',
      });
  }

  const types = new Map<string, string>();
  for (const [key, table] of catalog) {
    const column = columnOf.get(key);
    const [schema, name] = splitName(key);
    if (column === undefined) {
      problems.push(...referenceProblems(key, table, kindOf));
      continue;
    }
    if (table.tenantColumnType === null) {
      problems.push({
        kind: 'Workspace Column Missing',
        table: key,
        constraint: null,
        message: `${key} is a tenant table in the schema but has no "${column}" column in the database.`,
        fix: `Run the migrations, or add it: ALTER TABLE ${qualified(schema, name)} ADD COLUMN ${ident(column)} uuid NOT NULL;`,
      });
      continue;
    }
    types.set(key, table.tenantColumnType);
    problems.push(...keyProblems(key, table, column), ...foreignKeyProblems(key, table, column, kindOf, columnOf));
  }
  if (new Set(types.values()).size > 1) {
    problems.push({
      kind: 'Workspace Column Type Differs',
      table: [...types.keys()].join(', '),
      constraint: null,
      message: `Co-located tables need one type for the distribution column; found ${[...types].map(([key, type]) => `${type} (${key})`).join(', ')}.`,
      fix: 'ALTER TABLE ... ALTER COLUMN ... TYPE <one type> on the tables that differ.',
    });
  }

  const distributed = dependencyOrder([...columnOf.keys()], catalog);
  const reference = dependencyOrder(
    [...kindOf].filter(([, kind]) => kind === 'reference').map(([key]) => key),
    catalog,
  );
  const statements = [
    ...reference.map((key) => `SELECT create_reference_table(${literal(qualified(...splitName(key)))});`),
    ...distributed.map((key, index) => {
      const table = literal(qualified(...splitName(key)));
      const column = literal(columnOf.get(key)!);
      if (index === 0) return `SELECT create_distributed_table(${table}, ${column});`;
      return `SELECT create_distributed_table(${table}, ${column}, colocate_with => ${literal(qualified(...splitName(distributed[0]!)))});`;
    }),
  ];
  return { ready: problems.length === 0, problems, distributed, reference, statements };
}

function splitName(key: string): [string, string] {
  const dot = key.indexOf('.');
  return [key.slice(0, dot), key.slice(dot + 1)];
}

function keyProblems(key: string, table: CatalogTable, column: string): DistributionProblem[] {
  const target = qualified(...splitName(key));
  return table.keys
    .filter((k) => !k.columns.includes(column))
    .map((k) => {
      const columns = [column, ...k.columns.filter((c) => c !== '')].map(ident).join(', ');
      if (k.kind === 'Primary Key') {
        return {
          kind: 'Primary Key Without Workspace' as const,
          table: key,
          constraint: k.name,
          message: `The primary key ${k.name} of ${key} does not include "${column}": Citus cannot enforce it per shard.`,
          fix: `ALTER TABLE ${target} DROP CONSTRAINT ${ident(k.name)}, ADD PRIMARY KEY (${columns});`,
        };
      }
      const fix =
        k.kind === 'Unique Constraint'
          ? `ALTER TABLE ${target} DROP CONSTRAINT ${ident(k.name)}, ADD CONSTRAINT ${ident(k.name)} UNIQUE (${columns});`
          : `DROP INDEX ${qualified(splitName(key)[0], k.name)}; ${k.definition.replace(/ USING (\w+) \(/, (match) => `${match}${ident(column)}, `)};`;
      return {
        kind: 'Unique Without Workspace' as const,
        table: key,
        constraint: k.name,
        message: `The ${k.kind === 'Unique Constraint' ? 'unique constraint' : 'unique index'} ${k.name} of ${key} does not include "${column}": Citus cannot enforce it across shards (make it unique per workspace).`,
        fix,
      };
    });
}

function foreignKeyProblems(
  key: string,
  table: CatalogTable,
  column: string,
  kindOf: Map<string, 'distributed' | 'reference'>,
  columnOf: Map<string, string>,
): DistributionProblem[] {
  const problems: DistributionProblem[] = [];
  for (const fk of table.foreignKeys) {
    const ref = `${fk.refSchema}.${fk.refTable}`;
    const refKind = kindOf.get(ref);
    if (refKind === 'reference') continue;
    if (refKind === undefined) {
      problems.push(unknownTarget(key, fk.name, ref));
      continue;
    }
    // Co-location: the workspace column of this table must reference the other's, pair for pair.
    const refColumn = columnOf.get(ref)!;
    const paired = fk.columns.some((c, i) => c === column && fk.refColumns[i] === refColumn);
    if (paired) continue;
    const referencing = [column, ...fk.columns.filter((c) => c !== column)].map(ident).join(', ');
    const referenced = [refColumn, ...fk.refColumns.filter((_, i) => fk.columns[i] !== column)].map(ident).join(', ');
    const actions = fk.definition.replace(/^FOREIGN KEY \(.*?\) REFERENCES .*?\(.*?\)/, '');
    problems.push({
      kind: 'Foreign Key Without Workspace',
      table: key,
      constraint: fk.name,
      message:
        `The foreign key ${fk.name} of ${key} to ${ref} does not pair "${column}" with "${refColumn}": Citus only enforces foreign keys ` +
        `between co-located tables within one workspace. The fix needs a primary key or unique constraint on ${ref} (${referenced}) first.`,
      fix:
        `ALTER TABLE ${qualified(...splitName(key))} DROP CONSTRAINT ${ident(fk.name)}, ADD CONSTRAINT ${ident(fk.name)} ` +
        `FOREIGN KEY (${referencing}) REFERENCES ${qualified(fk.refSchema, fk.refTable)} (${referenced})${actions};`,
    });
  }
  return problems;
}

function referenceProblems(key: string, table: CatalogTable, kindOf: Map<string, 'distributed' | 'reference'>): DistributionProblem[] {
  const problems: DistributionProblem[] = [];
  for (const fk of table.foreignKeys) {
    const ref = `${fk.refSchema}.${fk.refTable}`;
    const refKind = kindOf.get(ref);
    if (refKind === undefined) problems.push(unknownTarget(key, fk.name, ref));
    else if (refKind === 'distributed') {
      problems.push({
        kind: 'Foreign Key From Reference Table',
        table: key,
        constraint: fk.name,
        message: `${key} is a reference table (no tenant column) but its foreign key ${fk.name} points at the tenant table ${ref}: Citus does not support foreign keys from reference to distributed tables.`,
        fix: `Make ${key} a tenant table (add the workspace column to it and its keys), or drop the constraint: ALTER TABLE ${qualified(...splitName(key))} DROP CONSTRAINT ${ident(fk.name)};`,
      });
    }
  }
  return problems;
}

function unknownTarget(key: string, constraint: string, ref: string): DistributionProblem {
  return {
    kind: 'Foreign Key To Unknown Table',
    table: key,
    constraint,
    message: `The foreign key ${constraint} of ${key} points at ${ref}, which is not among the tables checked: it would be neither distributed nor a reference table.`,
    fix: `Add ${ref} to \`tables\` (a tenant table, or a shared one that becomes a reference table), or drop the constraint.`,
  };
}

/** Tables ordered so that each comes after the tables its foreign keys reference (cycles: as given). */
function dependencyOrder(keys: string[], catalog: Map<string, CatalogTable>): string[] {
  const within = new Set(keys);
  const ordered: string[] = [];
  const visiting = new Set<string>();
  const visit = (key: string) => {
    if (ordered.includes(key) || visiting.has(key)) return;
    visiting.add(key);
    for (const fk of catalog.get(key)?.foreignKeys ?? []) {
      const ref = `${fk.refSchema}.${fk.refTable}`;
      if (ref !== key && within.has(ref)) visit(ref);
    }
    ordered.push(key);
  };
  keys.forEach(visit);
  return ordered;
}
