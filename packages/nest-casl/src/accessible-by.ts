import { rulesToAST } from '@casl/ability/extra';
import {
  and,
  eq,
  getTableColumns,
  getTableName,
  gt,
  gte,
  inArray,
  isNotNull,
  isNull,
  lt,
  lte,
  ne,
  notInArray,
  or,
  sql,
  type Column,
  type SQL,
  type Table,
} from 'drizzle-orm';
import { subjectOfTable } from './casl-subject';
import { UnsupportedConditionError } from './casl.errors';
import type { AppAbility, CaslAction } from './casl.types';
import type { SubjectName } from './casl.register';

/** Options of `accessibleBy`. */
export interface AccessibleByOptions {
  /** The subject the table holds. Default: the one named with `caslSubject(table, ...)`. */
  subject?: SubjectName;
  /** Subject fields that are not the table's column keys (`{ owner: deals.ownerId }`). */
  columns?: Record<string, Column>;
}

interface Node {
  operator: string;
  field?: string;
  value: unknown;
}

const TRUE = sql`true`;
const FALSE = sql`false`;

/**
 * The rows of `table` the ability allows `action` on, as a Drizzle condition for `where`:
 * the ability's rules (`can` and `cannot`, with their priority) become SQL, so a list query
 * returns exactly what the ability allows. No rule -> `false`; an unconditional `can` -> `true`.
 * An operator, field or value it cannot translate exactly throws, never widens access.
 *
 * @example db.select().from(deals).where(and(accessibleBy(ability, 'Read', deals), eq(deals.stage, 'Won')))
 */
export function accessibleBy(ability: AppAbility, action: CaslAction, table: Table, options: AccessibleByOptions = {}): SQL {
  const subject = options.subject ?? subjectOfTable(table);
  if (!subject) {
    throw new UnsupportedConditionError(
      `accessibleBy does not know which subject "${getTableName(table)}" holds: declare it with caslSubject(table, 'Subject') or pass { subject }.`,
    );
  }
  const ast = rulesToAST(ability, action, subject) as Node | null;
  if (ast === null) return FALSE;
  const columns = { ...getTableColumns(table), ...options.columns } as Record<string, Column>;
  return translate(ast, false, (field) => {
    const column = Object.hasOwn(columns, field) ? columns[field] : undefined;
    if (!column) throw new UnsupportedConditionError(`The condition field "${field}" of ${subject} is not a column of "${getTableName(table)}".`);
    return column;
  });
}

/**
 * Translates with negations pushed down to the leaves, so every leaf is exact for NULLs:
 * `not (stage = 'Lost')` must keep rows whose stage is NULL, as CASL does in memory.
 */
function translate(node: Node, negated: boolean, column: (field: string) => Column): SQL {
  const { operator } = node;
  if (operator === 'not') return translate(only(node), !negated, column);
  if (operator === 'and' || operator === 'or') {
    const children = (node.value as Node[]).map((child) => translate(child, negated, column));
    if (children.length === 0) return (operator === 'and') !== negated ? TRUE : FALSE;
    // De Morgan: under a negation `and` becomes `or` and vice versa.
    return ((operator === 'and') !== negated ? and(...children) : or(...children))!;
  }
  if (node.field === undefined) throw new UnsupportedConditionError(`The condition operator "${operator}" is not supported.`);
  return leaf(operator, column(node.field), node.value, negated, node.field);
}

function only(node: Node): Node {
  const value = node.value as Node | Node[];
  const children = Array.isArray(value) ? value : [value];
  return children.length === 1 ? children[0]! : { operator: 'and', value: children };
}

function leaf(operator: string, column: Column, value: unknown, negated: boolean, field: string): SQL {
  switch (operator) {
    case 'eq':
      return negated ? notEqual(column, scalar(value, field)) : equal(column, scalar(value, field));
    case 'ne':
      return negated ? equal(column, scalar(value, field)) : notEqual(column, scalar(value, field));
    case 'in':
      return negated ? notIn(column, list(value, field)) : isIn(column, list(value, field));
    case 'nin':
      return negated ? isIn(column, list(value, field)) : notIn(column, list(value, field));
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte': {
      const bound = scalar(value, field);
      if (bound === null) throw new UnsupportedConditionError(`"${field}" is compared (${operator}) with null.`);
      // Comparisons never match NULL; their negation does.
      const compare = { lt, lte, gt, gte }[operator](column, bound);
      return negated ? or(sql`not (${compare})`, isNull(column))! : compare;
    }
    default:
      throw new UnsupportedConditionError(`The condition operator "${operator}" on "${field}" is not supported.`);
  }
}

const equal = (column: Column, value: Scalar) => (value === null ? isNull(column) : eq(column, value));
const notEqual = (column: Column, value: Scalar) => (value === null ? isNotNull(column) : or(ne(column, value), isNull(column))!);

function isIn(column: Column, values: Scalar[]): SQL {
  const present = values.filter((v) => v !== null);
  const parts = [present.length ? inArray(column, present) : undefined, values.includes(null) ? isNull(column) : undefined];
  return or(...parts) ?? FALSE;
}

function notIn(column: Column, values: Scalar[]): SQL {
  const present = values.filter((v) => v !== null);
  if (values.includes(null)) return present.length ? and(notInArray(column, present), isNotNull(column))! : isNotNull(column);
  return present.length ? or(notInArray(column, present), isNull(column))! : TRUE;
}

type Scalar = string | number | boolean | Date | null;

function scalar(value: unknown, field: string): Scalar {
  if (value === null || value instanceof Date || ['string', 'number', 'boolean'].includes(typeof value)) return value as Scalar;
  throw new UnsupportedConditionError(
    `The condition value of "${field}" (${value === undefined ? 'undefined' : typeof value}) cannot be compared with a column.`,
  );
}

function list(value: unknown, field: string): Scalar[] {
  if (!Array.isArray(value)) throw new UnsupportedConditionError(`"${field}" expects a list of values.`);
  return value.map((item) => scalar(item, field));
}
