import { Inject, Injectable, Optional, type NestMiddleware } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONTEXT_MODULE_OPTIONS } from './context.module-definition';
import type { ContextModuleOptions } from './context.options';
import { ContextService } from './context.service';
import { effectiveContextOptions } from './effective-context-options';
import { requestIdFrom } from './request-id';
import { uuidv7 } from './uuidv7';

/**
 * Opens the request context for an HTTP request (Express or Fastify): request id from the
 * configured header or a new UUIDv7, no workspace yet, actor 'User' with no id until
 * authentication names it. Idempotent: when a context is already open (the module imported
 * twice, or another opener ran first) the request passes through untouched.
 */
@Injectable()
export class ContextMiddleware implements NestMiddleware<IncomingMessage, ServerResponse> {
  private settings?: { header: string; echo: boolean; generate: () => string };

  constructor(
    private readonly context: ContextService,
    @Inject(CONTEXT_MODULE_OPTIONS) private readonly options: ContextModuleOptions,
    @Optional() @Inject(ModulesContainer) private readonly modules?: ModulesContainer,
  ) {}

  use(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void {
    if (this.context.get()) return next();
    const { header, echo, generate } = (this.settings ??= this.resolveSettings());
    const requestId = requestIdFrom(req.headers[header], generate);
    if (echo && !res.headersSent) res.setHeader(header, requestId);
    this.context.run({ requestId, actor: { kind: 'User', id: null } }, next);
  }

  // On the first request, when every module of the app exists: the app's own options win.
  private resolveSettings() {
    const options = this.modules ? effectiveContextOptions(this.modules, this.options) : this.options;
    return {
      header: (options.requestIdHeader ?? 'x-request-id').toLowerCase(),
      echo: options.echoRequestId ?? true,
      generate: options.generateRequestId ?? uuidv7,
    };
  }
}
