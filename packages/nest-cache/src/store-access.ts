import type { Keyv } from 'keyv';

/** How CacheStore reads and writes the strings it keeps (versions and entries). */
export interface StoreAccess {
  /** The values of `keys` (undefined where absent), in one round trip. */
  getMany(keys: string[]): Promise<unknown[]>;
  /** Writes `value`; `ttl` 0 means no expiry. False when the store refused it. */
  set(key: string, value: string, ttl: number): Promise<boolean>;
}

/** Through Keyv: its key prefix, envelope ({ value, expires } as JSON), hooks and stats. */
export function keyvAccess(keyv: Keyv): StoreAccess {
  return {
    getMany: (keys) => keyv.getMany<unknown>(keys),
    set: (key, value, ttl) => keyv.set(key, value, ttl),
  };
}

/**
 * Straight to a @keyv/redis adapter, at the keys Keyv would use, when Keyv would only wrap the
 * strings TenantCache keeps: its envelope escapes the whole JSON text of an entry a second time
 * on every write and unescapes it on every read, and costs a miss of a 50-row page more than
 * encoding the page itself. Redis expires keys on its own, so the envelope's `expires` adds
 * nothing there. Undefined (use Keyv) for any other store, or when the Keyv has its own
 * serializer, compression, hooks or stats on: those must see every call.
 *
 * Values written this way are the bare strings; values Keyv wrote (by an earlier version of this
 * package) are recognised by their envelope and still read. A replica still on that earlier
 * version fails to read a bare string and bypasses the cache for it: never a stale answer.
 */
export function redisAdapterAccess(keyv: Keyv): StoreAccess | undefined {
  const adapter = keyv.store as Partial<RedisAdapter> | undefined;
  if (adapter?.constructor?.name !== 'KeyvRedis' || typeof adapter.getMany !== 'function' || typeof adapter.set !== 'function') {
    return undefined;
  }
  if (typeof keyv._getKeyPrefix !== 'function' || !hasOnlyDefaults(keyv)) return undefined;
  const store = adapter as RedisAdapter;
  const prefixed = (key: string) => keyv._getKeyPrefix(key);
  return {
    async getMany(keys) {
      const raw = await store.getMany(keys.map(prefixed));
      return Promise.all(raw.map((value) => unwrap(keyv, value)));
    },
    async set(key, value, ttl) {
      // A bare string must not look like an envelope when it is read back: such a value goes in one.
      if (value.startsWith('{')) return keyv.set(key, value, ttl);
      // @keyv/redis answers nothing; a failure is thrown or emitted as 'error' (CacheStore counts it).
      await store.set(prefixed(key), value, ttl > 0 ? ttl : undefined);
      return true;
    },
  };
}

interface RedisAdapter {
  getMany(keys: string[]): Promise<(string | null | undefined)[]>;
  set(key: string, value: string, ttl?: number): Promise<unknown>;
}

/** A bare string as it is; Keyv's envelope (it starts with "{", a bare string never does) opened. */
async function unwrap(keyv: Keyv, value: string | null | undefined): Promise<unknown> {
  if (typeof value !== 'string') return undefined;
  if (!value.startsWith('{')) return value;
  const envelope = (await keyv.deserialize!(value)) as { value?: unknown; expires?: number | null } | undefined;
  if (typeof envelope?.expires === 'number' && envelope.expires < Date.now()) return undefined;
  return envelope?.value;
}

/** The Keyv has what a new Keyv of its own class has: default (de)serializer, no compression, hooks or stats. */
function hasOnlyDefaults(keyv: Keyv): boolean {
  const defaults = new (keyv.constructor as new () => Keyv)();
  const hooks = [...keyv.hooks.handlers.values()].some((handlers) => handlers.length > 0);
  return (
    keyv.serialize === defaults.serialize &&
    keyv.deserialize === defaults.deserialize &&
    keyv.compression === undefined &&
    !hooks &&
    !keyv.stats.enabled &&
    typeof keyv.deserialize === 'function'
  );
}
