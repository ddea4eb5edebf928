import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RESOLVED_AUDIT_OPTIONS } from './audit.module-definition';
import type { ResolvedAuditOptions } from './resolve-audit-options';
import { AuditService } from './audit.service';
import { failureRecorded, requestInfoOf, withRequestInfo } from './request-info';

/**
 * Keeps the client's ip and user agent for the entries of this request, and records a request
 * refused with 403 that left no 'Failure' entry of its own: a guard of the app's (not
 * @acme/nest-casl, whose denials are recorded as they happen) said no, so no audited method ran.
 */
@Injectable()
export class AuditRequestMiddleware implements NestMiddleware<IncomingMessage, ServerResponse> {
  private readonly recordForbidden: boolean;

  constructor(
    private readonly audit: AuditService,
    @Inject(RESOLVED_AUDIT_OPTIONS) options: ResolvedAuditOptions,
  ) {
    this.recordForbidden = options.recordForbiddenResponses;
  }

  use(req: IncomingMessage & { originalUrl?: string }, res: ServerResponse, next: (error?: unknown) => void): void {
    withRequestInfo(requestInfoOf(req), () => {
      // Not bound to this point on purpose: 'finish' fires in the context that ended the response,
      // which sees the actor and workspace as the guards set them, even when the request context
      // was opened (as a nested CLS scope) by a middleware that runs after this one.
      if (this.recordForbidden) res.once('finish', () => this.onFinished(req, res));
      next();
    });
  }

  private onFinished(req: IncomingMessage & { originalUrl?: string }, res: ServerResponse): void {
    if (res.statusCode !== 403 || failureRecorded()) return;
    const path = (req.originalUrl ?? req.url ?? '').split('?')[0];
    this.audit.recordNow({
      action: 'Access',
      subject: 'Route',
      status: 'Failure',
      error: { code: 'ACCESS_DENIED', message: `Refused with 403 at ${req.method} ${path}` },
      metadata: { denial: 'Forbidden', method: req.method, path },
    });
  }
}
