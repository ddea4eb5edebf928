import { QueuePayloadError, type PayloadIssue } from './queues.errors';

/**
 * The Standard Schema interface (https://standardschema.dev), which zod 4 schemas implement
 * (classic and mini). Copied here, as the spec intends, so this package needs no runtime import
 * of zod and any conforming validator (valibot, arktype) works too.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<{ readonly message: string; readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> }> };

/** What a schema accepts (zod: `z.input<typeof schema>`). */
export type SchemaInput<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['input'];
/** What a schema produces (zod: `z.output<typeof schema>`). */
export type SchemaOutput<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['output'];

export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const standard = (value as { '~standard'?: { validate?: unknown } } | null | undefined)?.['~standard'];
  return typeof standard?.validate === 'function';
}

/**
 * Validates `value`, returning the schema's output or throwing `QueuePayloadError`. Synchronous
 * for synchronous schemas (zod's usual case), so the hot path allocates no extra promise.
 */
export function parsePayload<S extends StandardSchemaV1>(queue: string, schema: S, value: unknown): SchemaOutput<S> | Promise<SchemaOutput<S>> {
  const result = schema['~standard'].validate(value);
  return result instanceof Promise ? result.then((settled) => unwrap(queue, settled)) : unwrap(queue, result);
}

function unwrap<Output>(queue: string, result: StandardResult<Output>): Output {
  if (result.issues) throw new QueuePayloadError(queue, result.issues.map(toIssue));
  return result.value;
}

function toIssue(issue: { message: string; path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> }): PayloadIssue {
  return {
    message: issue.message,
    path: (issue.path ?? []).map((segment) => (typeof segment === 'object' && segment !== null ? segment.key : segment)),
  };
}
