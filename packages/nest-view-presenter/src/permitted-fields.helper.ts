import type { z } from 'zod';
import { FieldNotRedactableError, ViewPresenterOptionsError } from './view-presenter.errors';

type Node = z.core.$ZodType;
type Def = z.core.$ZodTypeDef & Record<string, any>;
const WRAPPERS = new Set(['nullable', 'default', 'prefault', 'readonly']);

function objectShape(schema: Node): Record<string, Node> | null {
  let def = schema._zod.def as Def;
  while (WRAPPERS.has(def.type)) def = def.innerType._zod.def;
  return def.type === 'object' ? (def.shape as Record<string, Node>) : null;
}

// Whether null is a valid value of the field, per field schema (asked once, then cached).
const nullable = new WeakMap<Node, boolean>();
function acceptsNull(field: Node): boolean {
  let answer = nullable.get(field);
  if (answer === undefined) {
    answer = (field as z.ZodType).safeParse(null).success;
    nullable.set(field, answer);
  }
  return answer;
}

/**
 * Hides the fields of a view the caller may not read, given the field names they may read
 * (what CASL's `permittedFieldsOf` returns, or any list: this helper does not need CASL).
 * A hidden field becomes `null`, never absent, so the view keeps its shape: fields that can be
 * hidden must be `.nullable()` in the schema, which tells the frontend. Dotted names
 * (`'owner.email'`) reach into nested objects. Keys the schema does not name are dropped.
 * Throws `FieldNotRedactableError` for a hidden field whose schema does not accept null.
 *
 * @example
 * const fields = permittedFieldsOf(ability, 'read', 'Contact', { fieldsFrom: (rule) => rule.fields ?? ALL_CONTACT_FIELDS });
 * return filterPermittedFields(ContactView, ContactPresenter.toView(row), fields);
 */
export function filterPermittedFields<S extends z.ZodType>(schema: S, view: z.output<S>, permittedFields: readonly string[]): z.output<S> {
  return filter(schema, view as Record<string, unknown>, permittedFields, '') as z.output<S>;
}

function filter(schema: Node, view: Record<string, unknown>, permitted: readonly string[], prefix: string): Record<string, unknown> {
  const shape = objectShape(schema);
  if (!shape) {
    throw new ViewPresenterOptionsError(
      `filterPermittedFields needs an object view schema${prefix ? ` at "${prefix}"` : ''}: pass the z.object(...) view the presenter returns ` +
        '(for a list, filter each item with the item schema).',
    );
  }
  const allowed = new Set(permitted);
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(shape)) {
    const value = view[key];
    if (allowed.has(key)) {
      out[key] = value;
      continue;
    }
    const nested = permitted.filter((name) => name.startsWith(`${key}.`)).map((name) => name.slice(key.length + 1));
    if (nested.length && value !== null && typeof value === 'object' && objectShape(field)) {
      out[key] = filter(field, value as Record<string, unknown>, nested, `${prefix}${key}.`);
    } else if (acceptsNull(field)) {
      out[key] = null;
    } else {
      throw new FieldNotRedactableError(
        `"${prefix}${key}" is not among the permitted fields, but the view schema does not allow null for it. ` +
          'Make it .nullable() in the schema (the frontend then knows it can be hidden), or permit it.',
      );
    }
  }
  return out;
}
