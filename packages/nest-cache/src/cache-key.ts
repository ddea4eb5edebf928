import { hash } from 'node:crypto';
import { canonicalData, NotPlainData } from './canonical-data';

/**
 * What identifies an entry: the `subject` its data comes from ('Deal', 'Company': what
 * `invalidate(subject)` and the audit trail's writes name) and `parts` that tell entries of one
 * subject apart (a method name, its arguments: plain data only). Data read from several subjects
 * (a company with its deal counts) names them all: a write of any of them makes it stale.
 *
 * @example { subject: 'Deal', parts: ['pipeline', stageId, { page: 2 }] }
 * @example { subject: ['Company', 'Deal', 'Contact'], parts: ['CompaniesService.get', id] }
 */
export interface CacheKey {
  readonly subject: string | readonly string[];
  readonly parts: readonly unknown[];
}

/**
 * The subjects of a key, each once, in the order given (the first names the entry in keys,
 * metrics and logs).
 */
export function subjectsOf(key: CacheKey): readonly string[] {
  const subjects = typeof key.subject === 'string' ? [key.subject] : [...new Set(key.subject)];
  return subjects;
}

/** True when `subject` is a usable subject or list of subjects (non-empty strings, at least one). */
export function isSubjectList(subject: unknown): subject is string | readonly string[] {
  const list = typeof subject === 'string' ? [subject] : subject;
  return Array.isArray(list) && list.length > 0 && list.every((one) => typeof one === 'string' && one.trim() !== '');
}

/** Where an entry lives: one workspace, or the explicitly global scope. */
export type CacheScope = { readonly workspaceId: string } | { readonly global: true };

/** The store keys of one entry and of the version of each of its subjects in its workspace. */
export interface StoreKeys {
  readonly entry: string;
  /** One per subject, in the order of `subjectsOf(key)`. */
  readonly versions: readonly string[];
}

/**
 * Store keys from structured parts, never from concatenated input: the workspace and subject are
 * URI-encoded (no ':', '{' or '}' survive), the parts and the caller's permission fingerprint are
 * hashed (sha256, base64url) from their canonical form. The workspace is a Redis Cluster hash tag,
 * so a workspace's keys share one slot:
 *
 *   <prefix>:{<workspaceId>}:v:<subject>          the version of (workspace, subject)
 *   <prefix>:{<workspaceId>}:e:<subject>:<hash>   an entry (named by its first subject; the hash
 *                                                 covers every subject, the parts and the fingerprints)
 *   <prefix>:{global}:gv:<subject> / :ge:...      the same, for `{ global: true }`
 *
 * (`gv`/`ge` keep global keys apart from those of a workspace whose id is "global".)
 * Returns `NotPlainData` when a part is not plain data.
 */
export function storeKeys(prefix: string, scope: CacheScope, key: CacheKey, fingerprints: readonly (string | null)[] | null): StoreKeys | NotPlainData {
  const subjects = subjectsOf(key);
  const parts = canonicalData([subjects, key.parts, fingerprints]);
  if (parts instanceof NotPlainData) return parts;
  const base = scopeBase(prefix, scope);
  const global = 'global' in scope;
  return {
    entry: `${base}:${global ? 'ge' : 'e'}:${encodeURIComponent(subjects[0]!)}:${hash('sha256', parts, 'base64url')}`,
    versions: subjects.map((subject) => versionKey(prefix, scope, subject)),
  };
}

/** The version key of (scope, subject): what an invalidation rewrites. */
export function versionKey(prefix: string, scope: CacheScope, subject: string): string {
  return `${scopeBase(prefix, scope)}:${'global' in scope ? 'gv' : 'v'}:${encodeURIComponent(subject)}`;
}

function scopeBase(prefix: string, scope: CacheScope): string {
  return 'global' in scope ? `${prefix}:{global}` : `${prefix}:{${encodeURIComponent(scope.workspaceId)}}`;
}
