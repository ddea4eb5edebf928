import { afterCommit } from '../commit-scope';

/**
 * The cross-replica invalidation contract between packages that cache in process memory
 * (@acme/nest-casl's abilities, @acme/nest-tenancy's memberships) and a package that carries
 * messages between replicas (@acme/nest-cache's Redis pub/sub bus): the token, the interface
 * and the trust rule live here so that no cache depends on Redis.
 */

/** One invalidation: plain JSON data (each cache reads the fields it wrote, e.g. `{ userId, workspaceId }`). */
export type InvalidationMessage = Readonly<Record<string, unknown>>;

/** Applies one invalidation received from another replica. Must not throw; it runs on the bus's connection. */
export type InvalidationHandler = (message: InvalidationMessage) => void;

/**
 * What the provider under {@link INVALIDATION_BUS} offers: messages of a topic published by one
 * replica reach the handlers of that topic on every other replica (never the publisher's own:
 * it applies its invalidations itself). Delivery is at most once: a replica that was not
 * listening misses the message, which `healthy` / `healthySince` tell the caches.
 */
export interface InvalidationBus {
  /**
   * Sends `message` to the other replicas' handlers of `topic`. Resolves once handed to the
   * transport, rejects when it could not be within the bus's timeout (it may still be sent later).
   */
  publish(topic: string, message: InvalidationMessage): Promise<void>;
  /** Adds a handler of `topic`; returns the function that removes it. */
  subscribe(topic: string, handler: InvalidationHandler): () => void;
  /** True while this replica receives every message published anywhere (its listener is connected and answers). */
  readonly healthy: boolean;
  /**
   * When the current healthy period began (`Date.now()` milliseconds), null while not healthy. A
   * message published before it may have been missed: an entry loaded before it is not trusted.
   */
  readonly healthySince: number | null;
}

/**
 * DI token of the app's {@link InvalidationBus} (e.g. @acme/nest-cache's `InvalidationBusModule`,
 * over Redis pub/sub). Packages inject it with `@Optional()`: absent, their invalidations stay in
 * the process that made them.
 */
export const INVALIDATION_BUS = Symbol.for('@acme/nest-context:invalidation-bus');

/** How a process-local cache decides whether an entry may still be served without another lookup. */
export interface InvalidationTrust {
  /** The app's bus, when it has one. */
  bus: InvalidationBus | undefined;
  /** Longest life of an entry that may have missed an invalidation (bus down, or no bus with `replicated`). */
  fallbackTtlMs: number;
  /** The app runs as several processes: without a bus, entries live at most `fallbackTtlMs`. */
  replicated: boolean;
}

/**
 * Whether an entry whose load started at `loadedAt` (`Date.now()` milliseconds, taken BEFORE the
 * source was read) may be served at `now`: always within `fallbackTtlMs`; past it only when every
 * invalidation since the load is known to have arrived (no bus and a single process, or a bus that
 * has been healthy since before the load). A bus that throws counts as not healthy (fail closed).
 */
export function isInvalidationTrusted(loadedAt: number, trust: InvalidationTrust, now = Date.now()): boolean {
  if (now - loadedAt < trust.fallbackTtlMs) return true;
  if (!trust.bus) return !trust.replicated;
  let since: number | null;
  try {
    since = trust.bus.healthySince;
  } catch {
    return false;
  }
  return since !== null && since <= loadedAt;
}

/** What {@link invalidateEverywhere} needs. */
export interface InvalidateEverywhereOptions {
  /** The app's bus; without one the invalidation stays in this process. */
  bus: InvalidationBus | undefined;
  topic: string;
  /** What the other replicas' handlers of `topic` receive. */
  message: InvalidationMessage;
  /** Forgets the entries in this process. Must not throw. */
  apply: () => void;
  /** Told when the bus could not take the message (it never throws to the caller). */
  onPublishError: (error: unknown) => void;
}

/**
 * Invalidates in this process and on every other replica, at the moment that keeps no stale
 * entry: `apply` runs now and, inside a commit scope (a request's transaction), once more after
 * the commit, since a concurrent request may have cached the old, still committed, state
 * meanwhile. The message goes to the other replicas after the commit (never on rollback), or now
 * outside a commit scope; the commit scope waits for the publish, so a request that changed
 * access answers once the other replicas were told.
 */
export function invalidateEverywhere(options: InvalidateEverywhereOptions): void {
  const { bus, topic, message, apply, onPublishError } = options;
  const publish = async () => {
    if (!bus) return;
    try {
      await bus.publish(topic, message);
    } catch (error) {
      onPublishError(error);
    }
  };
  apply();
  const deferred = afterCommit(() => {
    apply();
    return publish();
  });
  if (!deferred) void publish();
}
