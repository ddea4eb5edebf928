import { SetMetadata } from '@nestjs/common';
import { isSubjectList } from './cache-key';
import { CachedDefinitionError } from './cache.errors';

export const CACHED_METADATA = Symbol.for('@acme/nest-cache:cached');

/** Options of `@Cached`. */
export interface CachedOptions {
  /**
   * The subject the result comes from ('Deal'): an audited write of it, or `invalidate('Deal')`,
   * makes the result stale. A result read from several subjects names each (`['Company', 'Deal']`
   * for a company with its deal counts): a write of any of them makes it stale.
   */
  subject: string | readonly string[];
  /**
   * Time to live of a result, in milliseconds.
   * @default the module's `ttl`
   */
  ttl?: number;
  /**
   * The part of the key that tells calls apart, from the arguments (plain data). Use it when an
   * argument is not plain data or holds more than what the result depends on.
   * @default the arguments themselves
   */
  key?: (...args: any[]) => unknown;
  /**
   * Results are the same in every workspace (and the method may run outside one).
   * @default false
   */
  global?: boolean;
}

/**
 * Caches the results of a provider method (a service, not a controller) with `TenantCache.wrap`:
 * keyed by the workspace, `Class.method`, the arguments (or `key(...args)`) and the caller's
 * permission fingerprint for each subject. Calls whose arguments are not plain data, and results that
 * are `undefined` or not plain data, are not cached. The method is wrapped at bootstrap; its
 * metadata is kept.
 *
 * @example @Cached({ subject: 'Deal', ttl: 30_000 }) pipeline(stageId: string) { ... }
 */
export function Cached(options: CachedOptions): MethodDecorator {
  if (!isSubjectList(options?.subject)) {
    throw new CachedDefinitionError(
      `@Cached needs a subject, the name its writes are audited under ('Deal'), or a non-empty list of them; got ${JSON.stringify(options?.subject)}.`,
    );
  }
  if (options.ttl !== undefined && (!Number.isInteger(options.ttl) || options.ttl <= 0)) {
    throw new CachedDefinitionError(`@Cached ttl must be a positive whole number of milliseconds, got ${JSON.stringify(options.ttl)}.`);
  }
  if (options.key !== undefined && typeof options.key !== 'function') {
    throw new CachedDefinitionError('@Cached key must be a function of the arguments, e.g. key: (filter) => [filter.stageId, filter.page].');
  }
  return SetMetadata(CACHED_METADATA, options);
}
