import { createHash } from 'node:crypto';
import { canonicalData, NotPlainData } from './canonical-data';

/**
 * What identifies an entry: the `subject` its data comes from ('Deal', 'Company': what
 * `invalidate(subject)` and the audit trail's writes name) and `parts` that tell entries of one
 * subject apart (a method name, its arguments: plain data only).
 *
 * @example { subject: 'Deal', parts: ['pipeline', stageId, { page: 2 }] }
 */
export interface CacheKey {
  readonly subject: string;
  readonly parts: readonly unknown[];
}

/** Where an entry lives: one workspace, or the explicitly global scope. */
export type CacheScope = { readonly workspaceId: string } | { readonly global: true };

/** The store keys of one entry and of the version of its workspace and subject. */
export interface StoreKeys {
  readonly entry: string;
  readonly version: string;
}

/**
 * Store keys from structured parts, never from concatenated input: the workspace and subject are
 * URI-encoded (no ':', '{' or '}' survive), the parts and the caller's permission fingerprint are
 * hashed (sha256, base64url) from their canonical form. The workspace is a Redis Cluster hash tag,
 * so a workspace's keys share one slot:
 *
 *   <prefix>:{<workspaceId>}:v:<subject>          the version of (workspace, subject)
 *   <prefix>:{<workspaceId>}:e:<subject>:<hash>   an entry
 *   <prefix>:{global}:gv:<subject> / :ge:...      the same, for `{ global: true }`
 *
 * (`gv`/`ge` keep global keys apart from those of a workspace whose id is "global".)
 * Returns `NotPlainData` when a part is not plain data.
 */
export function storeKeys(prefix: string, scope: CacheScope, key: CacheKey, fingerprint: string | null): StoreKeys | NotPlainData {
  const parts = canonicalData([key.parts, fingerprint]);
  if (parts instanceof NotPlainData) return parts;
  const hash = createHash('sha256').update(parts).digest('base64url');
  const base = scopeBase(prefix, scope);
  const subject = encodeURIComponent(key.subject);
  const global = 'global' in scope;
  return { entry: `${base}:${global ? 'ge' : 'e'}:${subject}:${hash}`, version: versionKey(prefix, scope, key.subject) };
}

/** The version key of (scope, subject): what an invalidation rewrites. */
export function versionKey(prefix: string, scope: CacheScope, subject: string): string {
  return `${scopeBase(prefix, scope)}:${'global' in scope ? 'gv' : 'v'}:${encodeURIComponent(subject)}`;
}

function scopeBase(prefix: string, scope: CacheScope): string {
  return 'global' in scope ? `${prefix}:{global}` : `${prefix}:{${encodeURIComponent(scope.workspaceId)}}`;
}
