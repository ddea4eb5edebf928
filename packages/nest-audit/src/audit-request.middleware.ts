import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestInfoOf, withRequestInfo } from './request-info';

/** Keeps the client's ip and user agent for the entries of this request. */
@Injectable()
export class AuditRequestMiddleware implements NestMiddleware<IncomingMessage, ServerResponse> {
  use(req: IncomingMessage, _res: ServerResponse, next: (error?: unknown) => void): void {
    withRequestInfo(requestInfoOf(req), next);
  }
}
