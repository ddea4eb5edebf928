import type { INestApplication, LoggerService } from '@nestjs/common';
import { loadDependency } from './load-dependency';

/** The HTTP platforms every package of the suite is tested on. */
export const HTTP_ADAPTERS = ['express', 'fastify'] as const;
export type HttpAdapterName = (typeof HTTP_ADAPTERS)[number];

/** A response as tests look at it: the status and the parsed JSON body (null when empty). */
export interface TestResponse {
  status: number;
  headers: Headers;
  body: any;
}

/** A Nest app listening on a free loopback port. */
export interface HttpTestApp {
  app: INestApplication;
  /** `http://127.0.0.1:<port>`, for `fetch`. */
  url: string;
  /**
   * Sends a request with an optional JSON body. The content type is declared only when a body
   * is sent (Fastify rightly rejects an empty body declared as JSON).
   */
  request(method: string, path: string, options?: { headers?: Record<string, string>; body?: unknown }): Promise<TestResponse>;
  close(): Promise<void>;
}

/** `Authorization: Bearer <base64 JSON>`: claims a test auth guard can read without a signing key. */
export function bearer(claims: Record<string, unknown>): { authorization: string } {
  return { authorization: `Bearer ${Buffer.from(JSON.stringify(claims)).toString('base64')}` };
}

/** The claims of a `bearer(...)` header, or undefined (for a stand-in authentication guard in tests). */
export function claimsFromBearer(header: string | undefined): Record<string, unknown> | undefined {
  const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
  return token ? (JSON.parse(Buffer.from(token, 'base64').toString()) as Record<string, unknown>) : undefined;
}

export interface StartHttpAppOptions {
  /** Nest's logger. @default false (quiet) */
  logger?: LoggerService | false;
}

/**
 * Boots `module` on a real port with Express or Fastify, so a test runs the same request
 * pipeline (middleware, guards, interceptors, filters, serialization) as production. Init
 * errors reject instead of aborting the process. The platform packages are optional peers,
 * loaded only for the platform asked for.
 *
 * @example
 * describe.each(HTTP_ADAPTERS)('on %s', (adapter) => { const http = await startHttpApp(AppModule, adapter); ... })
 */
export async function startHttpApp(module: unknown, adapter: HttpAdapterName, options: StartHttpAppOptions = {}): Promise<HttpTestApp> {
  const { NestFactory } = await loadDependency(() => import('@nestjs/core'), '@nestjs/core', 'pnpm add @nestjs/core');
  const httpAdapter =
    adapter === 'express'
      ? new (
          await loadDependency(() => import('@nestjs/platform-express'), '@nestjs/platform-express', 'pnpm add -D @nestjs/platform-express')
        ).ExpressAdapter()
      : new (
          await loadDependency(() => import('@nestjs/platform-fastify'), '@nestjs/platform-fastify', 'pnpm add -D @nestjs/platform-fastify')
        ).FastifyAdapter();
  const app = await NestFactory.create(module as never, httpAdapter, { logger: options.logger ?? false, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
  const request: HttpTestApp['request'] = async (method, path, { headers = {}, body } = {}) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, body: parseBody(await response.text()) };
  };
  return { app, url, request, close: () => app.close() };
}

/** JSON when it is JSON, the text otherwise, null when empty. */
function parseBody(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
