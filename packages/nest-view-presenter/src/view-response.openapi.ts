import { RequestMethod } from '@nestjs/common';
import { createRequire } from 'node:module';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { fixNullableTypeArrays } from './openapi-nullable';

type Swagger = { ApiResponse(options: { status: number; description?: string; type: unknown }): MethodDecorator };

// @nestjs/swagger is an optional peer: without it routes are enforced but not documented.
let swagger: Swagger | null | undefined;
function loadSwagger(): Swagger | null {
  if (swagger === undefined) {
    try {
      swagger = createRequire(import.meta.url)('@nestjs/swagger') as Swagger;
    } catch {
      swagger = null;
    }
  }
  return swagger;
}

// One DTO class per schema: swagger names components after the class, so a schema used by two
// routes is one component, and two schemas never share a class name (swagger would merge them).
const dtos = new WeakMap<z.ZodType, unknown>();

type Def = z.core.$ZodTypeDef & Record<string, any>;

/**
 * The same schema without its registry id at the root. Zod >= 4.5 emits a root that has an id as
 * a `$ref` into its own `$defs`, which nestjs-zod 5.5's `cleanupOpenApiDoc` rejects as a duplicate
 * (nestjs-zod#475); an unregistered copy is emitted inline. Nested ids are untouched.
 */
function withoutRootId(schema: z.ZodType): z.ZodType {
  const def = schema._zod.def as Def;
  if (!z.globalRegistry.get(schema)?.id) return schema;
  switch (def.type) {
    case 'object': {
      const copy = z.object(def.shape);
      return def.catchall ? copy.catchall(def.catchall) : copy;
    }
    case 'array':
      return z.array(def.element);
    case 'union':
      return def.discriminator ? z.discriminatedUnion(def.discriminator, def.options) : z.union(def.options);
    default:
      return schema;
  }
}

function dtoFor(schema: z.ZodType, fallbackName: string): unknown {
  let dto = dtos.get(schema);
  if (!dto) {
    // The Output DTO: responses carry the schema's output, where fields with defaults are required.
    // `.Output` builds a fresh class on each access, so patching its factory touches no one else's
    // (a subclass would not do: swagger merges the factories of the whole class chain).
    const Output = createZodDto(withoutRootId(schema)).Output as unknown as { _OPENAPI_METADATA_FACTORY(): unknown };
    const factory = Output._OPENAPI_METADATA_FACTORY;
    Output._OPENAPI_METADATA_FACTORY = function (this: unknown) {
      return fixNullableTypeArrays(factory.call(this));
    };
    dto = Output;
    // nestjs-zod names output components `<id>_Output` where the schema is nested; the root matches.
    const id = z.globalRegistry.get(schema)?.id;
    Object.defineProperty(dto, 'name', { value: id ? `${id}_Output` : fallbackName });
    dtos.set(schema, dto);
  }
  return dto;
}

// Nest's metadata keys for @HttpCode and the route method (stable since Nest 5; their constants
// live in a deep import, which the suite avoids).
const HTTP_CODE_METADATA = '__httpCode__';
const METHOD_METADATA = 'method';

/**
 * Adds the OpenAPI response (via nestjs-zod) for a `@ViewResponse` route. Deferred to a microtask
 * because `@Get()`/`@Post()`/`@HttpCode()` written above `@ViewResponse` run after it, and the
 * documented status must match the one Nest sends (201 for POST unless told otherwise).
 */
export function documentViewResponse(
  schema: z.ZodType,
  options: { status?: number; description?: string; name?: string },
  target: object,
  key: string | symbol,
  defaultName: string,
): void {
  const api = loadSwagger();
  if (!api) return;
  const type = dtoFor(schema, options.name ?? defaultName);
  queueMicrotask(() => {
    const descriptor = Object.getOwnPropertyDescriptor(target, key);
    const handler = descriptor?.value as object | undefined;
    if (!descriptor || !handler) return;
    const status =
      options.status ??
      (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ??
      (Reflect.getMetadata(METHOD_METADATA, handler) === RequestMethod.POST ? 201 : 200);
    api.ApiResponse({ status, description: options.description ?? '', type })(target, key, descriptor);
  });
}
