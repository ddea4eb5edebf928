import { defineContextSlot } from '@acme/nest-context';
import type { IncomingMessage } from 'node:http';

export interface RequestInfo {
  ip: string | null;
  userAgent: string | null;
}

/**
 * What this package keeps per HTTP request: the client's ip and user agent, and whether the
 * request already has a 'Failure' entry. One mutable object, so a failure noted inside a nested
 * scope (an audited call, a transaction) is seen by the request's end.
 */
interface AuditRequestState extends RequestInfo {
  failureRecorded: boolean;
}

const requestState = defineContextSlot<AuditRequestState>('@acme/nest-audit:request');

/** What the request tells about the client, from Express (`req.ip`, trust-proxy aware) or Fastify's raw request. */
export function requestInfoOf(req: IncomingMessage & { ip?: string }): RequestInfo {
  const agent = req.headers['user-agent'];
  return { ip: req.ip ?? req.socket?.remoteAddress ?? null, userAgent: typeof agent === 'string' ? agent.slice(0, 512) : null };
}

/** Runs `next` with the request info in the request context (opening a scope when none is open yet). */
export function withRequestInfo(info: RequestInfo, next: () => void): void {
  const state: AuditRequestState = { ...info, failureRecorded: false };
  if (!requestState.set(state)) requestState.run(state, next);
  else next();
}

export function currentRequestInfo(): RequestInfo | undefined {
  return requestState.get();
}

/** Notes that this request already has a 'Failure' entry (so a 403 it ends with is not recorded twice). */
export function noteFailureRecorded(): void {
  const state = requestState.get();
  if (state) state.failureRecorded = true;
}

export function failureRecorded(): boolean {
  return requestState.get()?.failureRecorded === true;
}
