import { z } from 'zod';

type AnySchema = z.core.$ZodType;
type Def = z.core.$ZodTypeDef & Record<string, any>;

const defOf = (schema: AnySchema) => schema._zod.def as Def;

/**
 * The "shape" of a view schema: the same objects, arrays, nullables, defaults and tagged unions,
 * with every leaf value accepted as is. Parsing with it removes unknown keys and fills defaults
 * without checking values, which is what an unsampled response still needs (unknown fields must
 * never leak, sampled or not) at a fraction of the cost of full validation. Nodes it cannot model
 * exactly (transforms, lazy, plain unions) keep their original schema, so they are validated:
 * the shape may be stricter than needed, never looser.
 */
export function stripSchemaOf(schema: AnySchema): z.ZodType {
  const def = defOf(schema);
  switch (def.type) {
    case 'object':
      return objectShape(def);
    case 'array':
      return z.array(stripSchemaOf(def.element as AnySchema));
    case 'nullable':
      return stripSchemaOf(def.innerType as AnySchema).nullable();
    case 'optional':
      return stripSchemaOf(def.innerType as AnySchema).optional();
    case 'readonly':
      return stripSchemaOf(def.innerType as AnySchema);
    case 'default':
      // The getter returns a fresh copy of the default each time, like the original schema does.
      return stripSchemaOf(def.innerType as AnySchema).default(() => def.defaultValue);
    case 'record':
      return z.record(def.keyType as z.ZodString, stripSchemaOf(def.valueType as AnySchema));
    case 'union':
      return typeof def.discriminator === 'string' ? taggedShape(schema, def, def.discriminator) : (schema as z.ZodType);
    case 'string':
    case 'number':
    case 'int':
    case 'boolean':
    case 'bigint':
    case 'null':
    case 'enum':
    case 'literal':
    case 'template_literal':
    case 'any':
    case 'unknown':
      return z.any();
    default:
      return schema as z.ZodType;
  }
}

function objectShape(def: Def, keep?: string): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, value] of Object.entries(def.shape as Record<string, AnySchema>)) {
    shape[key] = key === keep ? (value as z.ZodType) : stripSchemaOf(value);
  }
  const catchall = def.catchall as AnySchema | undefined;
  // `.passthrough()`/`.catchall()` keep unknown keys in the original, so the shape must too;
  // `.strict()` rejects them there and validation reports it, so stripping here is enough.
  if (catchall && defOf(catchall).type !== 'never') return z.object(shape).catchall(catchall as z.ZodType);
  return z.object(shape);
}

function taggedShape(schema: AnySchema, def: Def, key: string): z.ZodType {
  const options = def.options as AnySchema[];
  // Only object variants can keep their discriminator while the rest is loosened.
  if (!options.every((option) => defOf(option).type === 'object')) return schema as z.ZodType;
  const shapes = options.map((option) => objectShape(defOf(option), key));
  return z.discriminatedUnion(key, shapes as [z.ZodObject, ...z.ZodObject[]]);
}
