// nestjs-zod's marker that a DTO's JSON Schema uses OpenAPI 3.1 syntax (`{ type: 'null' }`), so
// `cleanupOpenApiDoc` converts it for 3.0 documents (`nullable: true`).
const USES_3_1_SYNTAX = 'x-nestjs_zod-uses-3-point-1-syntax';

type Json = Record<string, unknown>;
const isJson = (value: unknown): value is Json => typeof value === 'object' && value !== null;

/** `{ type: ['string', 'null'] }` -> `{ anyOf: [{ type: 'string' }, { type: 'null' }] }`, everywhere in `node`. */
function rewrite(node: unknown, topLevel: boolean): boolean {
  if (Array.isArray(node)) return node.map((item) => rewrite(item, false)).some(Boolean);
  if (!isJson(node)) return false;
  let changed = false;
  const { type } = node;
  if (Array.isArray(type) && type.includes('null') && type.length === 2) {
    node.anyOf = [{ type: type.find((t) => t !== 'null') }, { type: 'null' }];
    // A top-level property keeps the '' type nestjs-zod gives (and later removes from) typeless
    // properties; swagger needs one there. Nested nodes simply have none.
    if (topLevel) node.type = '';
    else delete node.type;
    changed = true;
  }
  for (const value of Object.values(node)) changed = rewrite(value, false) || changed;
  return changed;
}

/**
 * Zod >= 4.5 writes a bare nullable primitive (`z.string().nullable()`) as
 * `{ type: ['string', 'null'] }`. @nestjs/swagger reads a top-level `type` array as "array of"
 * (so `next_cursor` was documented as `string[]`) and nestjs-zod 5.5's 3.0 conversion does not
 * know the form. Rewritten to the `anyOf` form nestjs-zod already converts, the document is right.
 */
export function fixNullableTypeArrays(properties: unknown): unknown {
  if (!isJson(properties)) return properties;
  const changed = Object.values(properties)
    .map((property) => rewrite(property, true))
    .some(Boolean);
  if (!changed) return properties;
  for (const property of Object.values(properties)) if (isJson(property)) property[USES_3_1_SYNTAX] = true;
  return properties;
}
