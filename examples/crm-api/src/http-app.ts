import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { ConfigService } from '@nestjs/config';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { answerClientErrors } from './common/client-errors';
import { rejectInvalidCharacters } from './common/invalid-characters.middleware';
import { rejectUnreadBodies } from './common/unread-body.middleware';
import type { Env } from './config/env.schema';
import { setupOpenApi } from './openapi';

export interface CreateHttpAppOptions {
  /** Environment variables merged over process.env. */
  env?: Record<string, string>;
  /** Nest's logger before nestjs-pino takes over (boot errors). @default Nest's console logger */
  logger?: false;
}

/** Builds the configured HTTP app (not listening): used by main.ts and the e2e tests alike. */
export async function createHttpApp(options: CreateHttpAppOptions = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot({ env: options.env }), new ExpressAdapter(), {
    bufferLogs: true,
    // Registered below with the configured limit; Nest's default parser would apply 100kb first.
    bodyParser: false,
    abortOnError: false,
    ...(options.logger === false ? { logger: false } : {}),
  });
  app.useLogger(app.get(Logger));
  const config = app.get(ConfigService<Env, true>);
  app.useBodyParser('json', { limit: config.get('BODY_LIMIT') });
  app.useBodyParser('urlencoded', { limit: config.get('BODY_LIMIT'), extended: false });
  app.use(rejectUnreadBodies(['application/json', 'application/x-www-form-urlencoded']));
  // NUL in a path, query, body or header: 400 INVALID_CHARACTERS before any route (PostgreSQL cannot store it).
  app.use(rejectInvalidCharacters());
  answerClientErrors(app.getHttpServer());
  app.disable('x-powered-by');
  // req.ip (per-IP sign-in limit, audit entries) is the client's only through trusted proxies.
  app.set('trust proxy', config.get('TRUST_PROXY'));
  app.enableShutdownHooks();
  setupOpenApi(app);
  return app;
}
