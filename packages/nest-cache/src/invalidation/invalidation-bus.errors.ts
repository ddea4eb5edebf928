import { CacheError } from '../cache.errors';

/** `RedisInvalidationBus.publish`: Redis did not take the message within `publishTimeoutMs` (it is sent once Redis is back). */
export class InvalidationBusUnavailableError extends CacheError {
  readonly code = 'CACHE_INVALIDATION_BUS_UNAVAILABLE';
}
