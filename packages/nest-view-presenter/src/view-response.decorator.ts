import { HttpCode, UseInterceptors } from '@nestjs/common';
import type { z } from 'zod';
import { validateContractOptions } from './resolve-view-presenter-options';
import type { ViewContractOptions } from './view-contract';
import { ViewPresenterOptionsError } from './view-presenter.errors';
import { VIEW_RESPONSE_METADATA, type ViewResponseMetadata } from './view-response.metadata';
import { documentViewResponse } from './view-response.openapi';
import { ViewResponseInterceptor } from './view-response.interceptor';

/** Options of `@ViewResponse`. `mode` and `sampleRate` override the module's for this route. */
export interface ViewResponseOptions extends Pick<ViewContractOptions, 'mode' | 'sampleRate'> {
  /**
   * HTTP status of the response; also applies `@HttpCode(status)`.
   * @default Nest's: 201 for POST, 200 otherwise (or the route's `@HttpCode`)
   */
  status?: number;
  /**
   * OpenAPI description of the response.
   * @default ''
   */
  description?: string;
  /**
   * OpenAPI component name when the schema has no id (`.meta({ id })` wins).
   * @default `<Controller><Handler>Response`, e.g. 'DealsControllerListResponse'
   */
  name?: string;
}

/** What a `@ViewResponse(schema)` handler may return: the schema's input (defaults may be omitted). */
export type ViewHandler<S extends z.ZodType> = (...args: any[]) => z.input<S> | Promise<z.input<S>>;

/**
 * Declares the view a handler returns. At run time the response is validated against `schema`
 * and stripped of unknown fields (mode 'strict': a mismatch is a logged violation and a 500);
 * in the OpenAPI document (with @nestjs/swagger and nestjs-zod's `cleanupOpenApiDoc`) the same
 * schema is the response; at compile time the handler must return the schema's input type.
 *
 * @example
 * @Get()
 * @ViewResponse(Page(DealView))
 * list(): Promise<Page<DealView>> { ... }
 */
export function ViewResponse<S extends z.ZodType>(schema: S, options: ViewResponseOptions = {}) {
  validateContractOptions(options, '@ViewResponse');
  const { status } = options;
  if (status !== undefined && !(Number.isInteger(status) && status >= 100 && status <= 599)) {
    throw new ViewPresenterOptionsError(`@ViewResponse option "status" must be an HTTP status code, got ${JSON.stringify(status)}.`);
  }
  // Only `value` is typed: a full TypedPropertyDescriptor would make the check invariant (its `set`).
  return (target: object, key: string | symbol, descriptor: Pick<TypedPropertyDescriptor<ViewHandler<S>>, 'value'>): void => {
    const handler = descriptor.value;
    if (typeof handler !== 'function') {
      throw new ViewPresenterOptionsError(`@ViewResponse goes on a route handler method; ${String(key)} is not a method.`);
    }
    const className = (target as { constructor: { name: string } }).constructor.name;
    const metadata: ViewResponseMetadata = { schema, name: `${className}.${String(key)}`, options };
    Reflect.defineMetadata(VIEW_RESPONSE_METADATA, metadata, handler);
    const method = descriptor as PropertyDescriptor;
    UseInterceptors(ViewResponseInterceptor)(target, key, method);
    if (status !== undefined) HttpCode(status)(target, key, method);
    const pascal = String(key).charAt(0).toUpperCase() + String(key).slice(1);
    documentViewResponse(schema, options, target, key, `${className}${pascal}Response`);
  };
}
