// The operations of the app's own OpenAPI document (/docs-json) and sample bodies built from their
// schemas: sweeps over them cover a route added later without anyone touching the test.

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

interface PropertySchema {
  type?: string;
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
}

export interface ObjectSchema {
  type: 'object';
  properties: Record<string, PropertySchema>;
  required?: string[];
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { $ref?: string } }> } }>>;
  components: { schemas: Record<string, ObjectSchema> };
}

export interface Operation {
  method: Method;
  /** OpenAPI path, e.g. `/deals/{id}/stage`. */
  path: string;
  /** `POST /deals/{id}/stage`, the key sweeps report by. */
  route: string;
  /** The JSON body's schema, when the operation takes one. */
  body?: ObjectSchema;
}

const METHODS = new Set<string>(['get', 'put', 'post', 'patch', 'delete']);

/** A well-formed UUID no row has. */
export const UNUSED_ID = '00000000-0000-4000-8000-000000000000';

export function operationsOf(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.has(method))
      .map(([method, operation]) => {
        const ref = operation.requestBody?.content['application/json']?.schema.$ref;
        const body = ref ? document.components.schemas[ref.replace('#/components/schemas/', '')] : undefined;
        if (operation.requestBody && !body) throw new Error(`${method.toUpperCase()} ${path}: request body without a JSON schema reference`);
        return { method: method as Method, path, route: `${method.toUpperCase()} ${path}`, body };
      }),
  );
}

/** Whether the path has a parameter, whatever it is called ({id}, {dealId}, ...). */
export const takesId = (operation: Operation) => /\{[^}]+\}/.test(operation.path);

/** The operation's path with every parameter replaced by `segment` (already URL-encoded). */
export const pathOf = (operation: Operation, segment: string) => operation.path.replace(/\{[^}]+\}/g, segment);

let serial = 0;

/** A value the property accepts; strings and emails are unique per call (unique names, emails that register). */
function sampleValue(name: string, schema: PropertySchema): unknown {
  if (schema.enum) return schema.enum[0];
  if (schema.type === 'integer' || schema.type === 'number') return Math.max(schema.minimum ?? 1, 1);
  if (schema.type === 'boolean') return true;
  if (schema.format === 'email') return `sweep-${++serial}@example.test`;
  if (schema.format === 'uuid') return UNUSED_ID;
  if (schema.format === 'date') return '2030-01-31';
  if (schema.type === 'string' && !schema.pattern) return `sweep value ${++serial}`.padEnd(schema.minLength ?? 0, 'x').slice(0, schema.maxLength);
  throw new Error(`no sample value for "${name}" ${JSON.stringify(schema)}: teach sampleValue() this schema`);
}

/** A body the schema accepts: its required fields, or its first field when none is required (a PATCH). */
export function sampleBody(schema: ObjectSchema): Record<string, unknown> {
  const names = schema.required?.length ? schema.required : Object.keys(schema.properties).slice(0, 1);
  return Object.fromEntries(names.map((name) => [name, sampleValue(name, schema.properties[name]!)]));
}

/** A JSON value of another type than `value` (a number for a string, a string for a number...). */
export function wrongTypeFor(value: unknown): unknown {
  if (typeof value === 'string') return 42;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return 'true';
  return 'not an object';
}
