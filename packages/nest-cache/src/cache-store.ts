import { withTimeout } from '@acme/nest-context';
import type { Keyv } from 'keyv';
import { CacheError } from './cache.errors';
import type { BypassReason } from './cache-metrics';
import { keyvAccess, redisAdapterAccess, type StoreAccess } from './store-access';

/** A store call failed or took longer than `timeoutMs`: the caller bypasses the cache. */
export class CacheStoreError extends CacheError {
  readonly code = 'CACHE_STORE_UNAVAILABLE';
  constructor(
    readonly reason: Extract<BypassReason, 'error' | 'timeout'>,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The one store TenantCache reads and writes, every call bounded by `timeoutMs`, every failure
 * made visible. Keyv and @keyv/redis swallow store errors by default (they emit an `error` event
 * and answer `undefined`, which looks like a miss), and node-redis queues commands while it
 * reconnects (which looks like a slow call): a silent miss would then write, and a silent failed
 * invalidation would leave stale entries. So any `error` the store emits while a call is in
 * flight fails that call, as does a timeout.
 */
export class CacheStore {
  private errors = 0;
  private lastError: unknown;
  private readonly access: StoreAccess;

  constructor(
    readonly keyv: Keyv,
    private readonly timeoutMs: number,
  ) {
    const count = (error: unknown) => {
      this.errors++;
      this.lastError = error;
    };
    this.access = redisAdapterAccess(keyv) ?? keyvAccess(keyv);
    keyv.on('error', count);
    // The adapter's own events too: Keyv forwards them only when its `emitErrors` is on.
    const adapter = keyv.store as { on?: (event: string, listener: (error: unknown) => void) => unknown } | undefined;
    if (adapter !== keyv && typeof adapter?.on === 'function') adapter.on('error', count);
  }

  /** The values of `keys` (undefined where absent), in one round trip. */
  getMany(keys: string[]): Promise<unknown[]> {
    return this.call('read', () => this.access.getMany(keys));
  }

  /** Writes `value`; `ttl` 0 means no expiry (whatever the store's default). */
  async set(key: string, value: string, ttl: number): Promise<void> {
    const written = await this.call('write', () => this.access.set(key, value, ttl));
    if (written === false) throw new CacheStoreError('error', `The cache store refused to write "${key}".`);
  }

  async delete(key: string): Promise<void> {
    await this.call('delete', () => this.keyv.delete(key));
  }

  private async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    const before = this.errors;
    let result: T;
    try {
      result = await withTimeout(
        run(),
        this.timeoutMs,
        () =>
          new CacheStoreError(
            'timeout',
            `The cache store did not answer a ${what} within ${this.timeoutMs} ms (TenantCacheModule option "timeoutMs"): is Redis reachable?`,
          ),
      );
    } catch (error) {
      if (error instanceof CacheStoreError) throw error;
      throw new CacheStoreError('error', `The cache store failed a ${what}: ${describe(error)}`, { cause: error });
    }
    // An error emitted meanwhile may be another call's; either way the store is failing, and an
    // answer that cannot be trusted is never used.
    if (this.errors !== before) {
      throw new CacheStoreError('error', `The cache store failed a ${what}: ${describe(this.lastError)}`, { cause: this.lastError });
    }
    return result;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
