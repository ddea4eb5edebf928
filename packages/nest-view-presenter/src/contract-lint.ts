import type { z } from 'zod';
import { isTitleCase } from './title-case';
import { ViewPresenterError } from './view-presenter.errors';

/** The contract smells `lintViewContract` reports. */
export type ViewContractRule =
  'optional-field' | 'enum-not-title-case' | 'date-object' | 'count-not-non-negative-int' | 'union-without-discriminator' | 'passthrough';

/** One smell, with the path of the field it was found on (`DealPage.items[].owner.name`). */
export interface ViewContractProblem {
  rule: ViewContractRule;
  path: string;
  message: string;
}

/** Thrown by `assertViewContract`; `problems` lists every smell, the message names each field. */
export class ViewContractLintError extends ViewPresenterError {
  readonly code = 'VIEW_CONTRACT_LINT';
  constructor(readonly problems: ViewContractProblem[]) {
    super(
      `The view contract has ${problems.length} problem(s); fix each as its line says:\n` +
        problems.map((p) => `  - ${p.path}: ${p.message} [${p.rule}]`).join('\n'),
    );
  }
}

type Node = z.core.$ZodType;
type Def = z.core.$ZodTypeDef & Record<string, any>;
const INT_FORMATS = new Set(['safeint', 'int32', 'uint32', 'int64', 'uint64']);
const WRAPPERS = new Set(['nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional', 'optional']);

/** Whether a `*_count` field is an integer that cannot be negative (through `.default()`, not `.nullable()`). */
function isNonNegativeInt(node: Node): boolean {
  let def = node._zod.def as Def;
  while (def.type === 'default' || def.type === 'prefault' || def.type === 'readonly') def = def.innerType._zod.def;
  if (def.type !== 'number') return false;
  const checks = ((def.checks ?? []) as z.core.$ZodCheck[]).map((check) => check._zod.def as Record<string, any>);
  const formats = [def.format, ...checks.filter((c) => c.check === 'number_format').map((c) => c.format)];
  const int = formats.some((format) => INT_FORMATS.has(format));
  const nonNegative =
    formats.some((format) => format === 'uint32' || format === 'uint64') ||
    checks.some((c) => c.check === 'greater_than' && (c.inclusive ? c.value >= 0 : c.value >= -1));
  return int && nonNegative;
}

/** Lists every contract smell of a view schema (empty when it is clean). `name` prefixes the paths. */
export function lintViewContract(schema: z.core.$ZodType, options: { name?: string } = {}): ViewContractProblem[] {
  const problems: ViewContractProblem[] = [];
  const report = (rule: ViewContractRule, path: string, message: string): void => {
    problems.push({ rule, path, message });
  };
  const titleCase = (values: unknown[], path: string, what: 'Enum' | 'Literal') => {
    const bad = values.filter((v): v is string => typeof v === 'string' && !isTitleCase(v));
    if (!bad.length) return;
    const many = bad.length > 1;
    report(
      'enum-not-title-case',
      path,
      `${what} ${many ? 'values' : 'value'} ${bad.map((v) => JSON.stringify(v)).join(', ')} ${many ? 'are' : 'is'} not Title Case; ` +
        "store, send and display 'Proposal Sent' style values, with no label mapping.",
    );
  };

  // Ancestors only (breaks z.lazy cycles); a schema shared by two fields is checked at both paths.
  const ancestors = new Set<Node>();
  const walk = (node: Node, path: string, discriminator?: string): void => {
    if (ancestors.has(node)) return;
    ancestors.add(node);
    try {
      check(node, path, discriminator);
    } finally {
      ancestors.delete(node);
    }
  };

  const check = (node: Node, path: string, discriminator?: string): void => {
    const def = node._zod.def as Def;
    if (WRAPPERS.has(def.type)) return walk(def.innerType, path, discriminator);
    switch (def.type) {
      case 'object': {
        const catchall = def.catchall?._zod.def.type;
        if (catchall && catchall !== 'never') {
          report('passthrough', path, '.passthrough()/.catchall() sends fields the schema does not name; views list every field, so drop it.');
        }
        for (const [key, field] of Object.entries(def.shape as Record<string, Node>)) {
          const at = `${path}.${key}`;
          if (key === discriminator) continue;
          if (field._zod.optout === 'optional') {
            report('optional-field', at, `"${key}" is optional; views have no optional fields: use .nullable(), a .default(), or a tagged union.`);
          }
          if (key.endsWith('_count') && !isNonNegativeInt(field)) {
            report(
              'count-not-non-negative-int',
              at,
              `"${key}" is a count but not a non-negative integer; use countSchema() (z.int().nonnegative().default(0)) and count() in the presenter.`,
            );
          }
          walk(field, at);
        }
        return;
      }
      case 'array':
        return walk(def.element, `${path}[]`);
      case 'record':
        return walk(def.valueType, `${path}{}`);
      case 'tuple':
        return (def.items as Node[]).forEach((item, i) => walk(item, `${path}[${i}]`));
      case 'intersection':
        return [def.left, def.right].forEach((side: Node) => walk(side, path));
      case 'pipe':
        return [def.in, def.out].forEach((side: Node) => walk(side, path));
      case 'lazy':
        return walk(def.getter(), path);
      case 'enum':
        return titleCase(Object.values(def.entries), path, 'Enum');
      case 'literal':
        return titleCase(def.values, path, 'Literal');
      case 'date':
        return report(
          'date-object',
          path,
          'z.date() sends a Date object; views carry ISO 8601 strings: use isoSchema() (z.iso.datetime()) and iso() in the presenter.',
        );
      case 'union':
        return checkUnion(node, def, path);
    }
  };

  const checkUnion = (node: Node, def: Def, path: string) => {
    const options = def.options as Node[];
    const key = def.discriminator as string | undefined;
    if (!key) {
      const nullable = options.length === 2 && options.some((o) => o._zod.def.type === 'null');
      report(
        'union-without-discriminator',
        path,
        nullable
          ? 'z.union([X, z.null()]): use X.nullable().'
          : "a union without a discriminator; views use z.discriminatedUnion('kind', ...) (or taggedUnion()) with Title Case kinds.",
      );
      return options.forEach((option) => walk(option, path));
    }
    const values = [...((node._zod as { propValues?: Record<string, Set<unknown>> }).propValues?.[key] ?? [])];
    const bad = values.filter((v) => typeof v !== 'string' || !isTitleCase(v));
    if (bad.length) {
      report(
        'union-without-discriminator',
        `${path}.${key}`,
        `discriminator "${key}" has value(s) ${bad.map((v) => JSON.stringify(v)).join(', ')} that are not Title Case ('Email Sent', 'None').`,
      );
    }
    options.forEach((option) => walk(option, path, key));
  };

  walk(schema, options.name ?? '(root)');
  return problems;
}

/**
 * Throws `ViewContractLintError` (VIEW_CONTRACT_LINT) naming every field that breaks the view
 * rules: optional fields, non-Title Case enum values, Date objects, `*_count` fields that are not
 * non-negative integers, unions without a Title Case discriminator, `.passthrough()`.
 *
 * @example it('DealView is a view contract', () => assertViewContract(DealView, { name: 'DealView' }));
 */
export function assertViewContract(schema: z.core.$ZodType, options: { name?: string } = {}): void {
  const problems = lintViewContract(schema, options);
  if (problems.length) throw new ViewContractLintError(problems);
}
