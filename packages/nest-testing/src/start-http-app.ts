import type { INestApplication, LoggerService } from '@nestjs/common';
import { importOptional } from './import-optional';

/** The HTTP platforms every package of the suite is tested on. */
export const HTTP_ADAPTERS = ['express', 'fastify'] as const;
export type HttpAdapterName = (typeof HTTP_ADAPTERS)[number];

/** A Nest app listening on a free loopback port. */
export interface HttpTestApp {
  app: INestApplication;
  /** `http://127.0.0.1:<port>`, for `fetch`. */
  url: string;
  close(): Promise<void>;
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
  const { NestFactory } = await importOptional(() => import('@nestjs/core'), '@nestjs/core', 'pnpm add @nestjs/core');
  const httpAdapter =
    adapter === 'express'
      ? new (await importOptional(() => import('@nestjs/platform-express'), '@nestjs/platform-express', 'pnpm add -D @nestjs/platform-express')).ExpressAdapter()
      : new (await importOptional(() => import('@nestjs/platform-fastify'), '@nestjs/platform-fastify', 'pnpm add -D @nestjs/platform-fastify')).FastifyAdapter();
  const app = await NestFactory.create(module as never, httpAdapter, { logger: options.logger ?? false, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
  return { app, url, close: () => app.close() };
}
