import type { Role } from '@acme-examples/crm-contracts';
import { ChaosError } from './chaos.errors';
import type { WorkspaceKey } from './entity-pool';

/** A user signed in to one workspace (a person in two workspaces has a session for each). */
export interface Session {
  label: string;
  email: string;
  role: Role;
  workspace: WorkspaceKey;
  workspaceId: string;
  userId: string;
  token: string;
}

export interface ApiRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  token?: string;
  /** Sent as x-request-id: the app stores it on the audit entry, so entries can be matched to requests. */
  requestId?: string;
  /** Aborts the request (the run is stopping). */
  signal?: AbortSignal;
}

export interface ApiResponse {
  /** 0 when no response came (connection refused or reset, timeout). */
  status: number;
  body: unknown;
  requestId: string | null;
  /** The transport error when status is 0. */
  error: string | null;
}

const TIMEOUT_MS = 30_000;

/** One HTTP request to the API; never throws (a transport failure is status 0). */
export async function callApi(baseUrl: string, request: ApiRequest): Promise<ApiResponse> {
  const headers: Record<string, string> = {};
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  if (request.token) headers.authorization = `Bearer ${request.token}`;
  if (request.requestId) headers['x-request-id'] = request.requestId;
  try {
    const response = await fetch(`${baseUrl}${request.path}`, {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: request.signal ? AbortSignal.any([request.signal, AbortSignal.timeout(TIMEOUT_MS)]) : AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body, requestId: response.headers.get('x-request-id'), error: null };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { status: 0, body: null, requestId: null, error: cause ?? (error as Error).message };
  }
}

/** Signs in to a workspace; throws CHAOS_SIGN_IN when the API refuses. */
export async function signIn(
  baseUrl: string,
  who: { label: string; email: string; password: string; workspace: WorkspaceKey; workspaceId: string },
): Promise<Session> {
  const response = await callApi(baseUrl, {
    method: 'POST',
    path: '/auth/login',
    body: { email: who.email, password: who.password, workspace_id: who.workspaceId },
  });
  const body = response.body as { access_token?: string; user?: { id: string }; role?: Role } | null;
  if (response.status !== 200 || !body?.access_token || !body.user || !body.role) {
    throw new ChaosError('CHAOS_SIGN_IN', `Signing in ${who.email} to ${who.workspace} failed: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return {
    label: who.label,
    email: who.email,
    role: body.role,
    workspace: who.workspace,
    workspaceId: who.workspaceId,
    userId: body.user.id,
    token: body.access_token,
  };
}
