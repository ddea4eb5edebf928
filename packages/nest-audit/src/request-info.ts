import { ClsServiceManager } from 'nestjs-cls';
import type { IncomingMessage } from 'node:http';

const REQUEST_INFO = Symbol.for('@acme/nest-audit:request-info');
const FAILURE_RECORDED = Symbol.for('@acme/nest-audit:failure-recorded');

export interface RequestInfo {
  ip: string | null;
  userAgent: string | null;
}

/** What the request tells about the client, from Express (`req.ip`, trust-proxy aware) or Fastify's raw request. */
export function requestInfoOf(req: IncomingMessage & { ip?: string }): RequestInfo {
  const agent = req.headers['user-agent'];
  return { ip: req.ip ?? req.socket?.remoteAddress ?? null, userAgent: typeof agent === 'string' ? agent.slice(0, 512) : null };
}

/** Runs `next` with the request info in the CLS store (opening one when no other middleware did). */
export function withRequestInfo(info: RequestInfo, next: () => void): void {
  const cls = ClsServiceManager.getClsService();
  const store = () => {
    cls.set(REQUEST_INFO, info);
    next();
  };
  if (cls.isActive()) store();
  else cls.run(store);
}

export function currentRequestInfo(): RequestInfo | undefined {
  const cls = ClsServiceManager.getClsService();
  return cls.isActive() ? (cls.get(REQUEST_INFO) as RequestInfo | undefined) : undefined;
}

/** Notes that this request already has a 'Failure' entry (so a 403 it ends with is not recorded twice). */
export function noteFailureRecorded(): void {
  const cls = ClsServiceManager.getClsService();
  if (cls.isActive()) cls.set(FAILURE_RECORDED, true);
}

export function failureRecorded(): boolean {
  const cls = ClsServiceManager.getClsService();
  return cls.isActive() && cls.get(FAILURE_RECORDED) === true;
}
