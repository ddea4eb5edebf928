import { AcmeError } from '@acme/nest-context';

/**
 * Base class of the errors this package throws (an `AcmeError`): `code` (`CACHE_*`) is stable
 * across versions; `message` says what to do and may change.
 */
export abstract class CacheError extends AcmeError {}
