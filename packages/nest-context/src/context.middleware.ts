import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONTEXT_MODULE_OPTIONS } from './context.module-definition';
import type { ContextModuleOptions } from './context.options';
import { ContextService } from './context.service';
import { requestIdFrom } from './request-id';
import { uuidv7 } from './uuid';

/**
 * Opens the request context for an HTTP request (Express or Fastify): request id from the
 * configured header or a new UUIDv7, no workspace yet, actor 'User' with no id until
 * authentication names it. Idempotent: when a context is already open (the module imported
 * twice, or another opener ran first) the request passes through untouched.
 */
@Injectable()
export class ContextMiddleware implements NestMiddleware<IncomingMessage, ServerResponse> {
  private readonly header: string;
  private readonly echo: boolean;
  private readonly generate: () => string;

  constructor(
    private readonly context: ContextService,
    @Inject(CONTEXT_MODULE_OPTIONS) options: ContextModuleOptions,
  ) {
    this.header = (options.requestIdHeader ?? 'x-request-id').toLowerCase();
    this.echo = options.echoRequestId ?? true;
    this.generate = options.generateRequestId ?? uuidv7;
  }

  use(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void {
    if (this.context.get()) return next();
    const requestId = requestIdFrom(req.headers[this.header], this.generate);
    if (this.echo && !res.headersSent) res.setHeader(this.header, requestId);
    this.context.run({ requestId, actor: { kind: 'User', id: null } }, next);
  }
}
