import { AcmeError } from '@acme/nest-context';

/**
 * Base class of the errors this package throws (an `AcmeError`): `code` (`CACHE_*`) is stable
 * across versions; `message` says what to do and may change.
 */
export abstract class CacheError extends AcmeError {}

/** Thrown at bootstrap when `TenantCacheModule` options are invalid; the message names the option. */
export class CacheOptionsError extends CacheError {
  readonly code = 'CACHE_INVALID_OPTIONS';
}

/** Thrown at bootstrap when `TenantCacheModule` has no `stores` and the app has no `CacheModule`. */
export class CacheNotConfiguredError extends CacheError {
  readonly code = 'CACHE_NOT_CONFIGURED';
}

/**
 * Thrown by `TenantCache` (and `@Cached` methods) called outside any workspace without
 * `{ global: true }`: an entry must belong to a workspace so that no other workspace is served it.
 */
export class CacheScopeError extends CacheError {
  readonly code = 'CACHE_NO_WORKSPACE';
}

/** Thrown at bootstrap when `@Cached` is misused (on a controller, with an invalid option). */
export class CachedDefinitionError extends CacheError {
  readonly code = 'CACHE_INVALID_DEFINITION';
}

/** Thrown by `TenantCache` when a key has no subject (a programming error: name what the data comes from). */
export class CacheKeyError extends CacheError {
  readonly code = 'CACHE_INVALID_KEY';
}
