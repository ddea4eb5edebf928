import { ABILITY_FINGERPRINTS, afterCommit, ContextService, uuidv7, type AbilityFingerprints } from '@acme/nest-context';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { NotPlainData } from './canonical-data';
import { CacheKeyError, CacheScopeError } from './cache.errors';
import { isSubjectList, storeKeys, subjectsOf, versionKey, type CacheKey, type CacheScope, type StoreKeys } from './cache-key';
import { CacheMetrics, type BypassReason } from './cache-metrics';
import { CacheStore, CacheStoreError } from './cache-store';
import { resolveCacheStore } from './resolve-cache-store';
import { formatEntry, parseEntry } from './cache-entry';
import { decodeValue, encodeValue, UnstorableValue } from './cache-value';
import { PendingInvalidations } from './pending-invalidations';
import type { ResolvedTenantCacheOptions } from './resolve-tenant-cache-options';
import { RESOLVED_TENANT_CACHE_OPTIONS } from './tenant-cache.module-definition';

/** Options of one `TenantCache` call. */
export interface CacheCallOptions {
  /**
   * The entry belongs to no workspace (reference data the same for everyone). Without it, a call
   * outside any workspace throws `CacheScopeError` (CACHE_NO_WORKSPACE).
   * @default false
   */
  global?: boolean;
  /**
   * Time to live of the entry written, in milliseconds.
   * @default the module's `ttl`
   */
  ttl?: number;
}

/** Options of `TenantCache.invalidate`. */
export type InvalidateOptions = Pick<CacheCallOptions, 'global'>;

/** One read: the resolved keys and what the store answered for them. */
interface Read {
  keys: StoreKeys;
  /** The current version of each subject; undefined where there is none yet. */
  versions: (string | undefined)[];
  hit: { value: unknown } | undefined;
}

/**
 * Tenant-safe cache. Every entry belongs to the current workspace (from the request context) and
 * to the caller's permission fingerprint for its subject (when the app provides
 * `ABILITY_FINGERPRINTS`), so no entry is served to another workspace or to a caller with other
 * permissions. `invalidate(subject)` makes every entry of the subject in the workspace stale on
 * every replica with one write. The store failing or answering slower than `timeoutMs` never
 * fails a call: it goes to the source (`wrap`), or reads as a miss (`get`).
 *
 * There is no in-process first level: each read asks the shared store (one round trip, the
 * version and the entry together), which is what makes an invalidation visible to every replica
 * at once.
 */
@Injectable()
export class TenantCache implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('TenantCache');
  private readonly pending = new PendingInvalidations();
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly loggedShapes = new Set<string>();
  /** Entry writes of `wrap` misses still on their way to the store, by entry key. */
  private readonly writing = new Map<string, Promise<void>>();
  /**
   * Per request id, the version keys whose invalidation waits for the commit of the transaction
   * that request runs: its own cached reads of them go to the source, so it sees its own writes.
   * Emptied on commit or rollback (runInCommitScope always calls one of them).
   */
  private readonly deferred = new Map<string, Set<string>>();
  private fingerprints?: AbilityFingerprints;
  private store!: CacheStore;

  constructor(
    @Inject(RESOLVED_TENANT_CACHE_OPTIONS) private readonly options: ResolvedTenantCacheOptions,
    @Inject(ContextService) private readonly context: ContextService,
    @Inject(CacheMetrics) private readonly metrics: CacheMetrics,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
  ) {}

  onModuleInit(): void {
    // In onModuleInit, not the constructor: the app's CACHE_MANAGER may be created after this provider.
    this.store = resolveCacheStore(this.options, this.moduleRef, this.logger);
    try {
      this.fingerprints = this.moduleRef.get<AbilityFingerprints>(ABILITY_FINGERPRINTS, { strict: false });
    } catch {
      this.fingerprints = undefined; // no abilities in this app: every caller shares the 'no-caller' part
    }
  }
  /** Lets the entry writes still on their way finish (each bounded by `timeoutMs`). */
  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.writing.values()]);
  }

  /** The cached value, or undefined when there is none (or the store cannot be used now). */
  async get<T = unknown>(key: CacheKey, options: CacheCallOptions = {}): Promise<T | undefined> {
    if (!this.options.enabled) return undefined;
    const read = await this.read(key, options);
    return read && read.hit ? (read.hit.value as T) : undefined;
  }

  /**
   * Stores `value` (plain data: objects, arrays, strings, numbers, booleans, null, Dates) under
   * the current version of its workspace and subject. Inside a commit scope it is written after
   * the commit, and not at all on rollback. `undefined` is not stored.
   */
  async set(key: CacheKey, value: unknown, options: CacheCallOptions = {}): Promise<void> {
    if (!this.options.enabled) return;
    const read = await this.read(key, options, false);
    if (!read || value === undefined) return;
    const version = await this.currentVersion(read);
    if (version) await this.writeEntry(read.keys, key, version, value, options);
  }

  /**
   * The cached value, else `loader()`'s result, cached (unless undefined). Concurrent misses of
   * one entry in this process share one `loader()` call; its error reaches each of them and is
   * not cached. The store failing or timing out: `loader()` is called, nothing is cached.
   */
  async wrap<T>(key: CacheKey, loader: () => Promise<T> | T, options: CacheCallOptions = {}): Promise<T> {
    if (!this.options.enabled) return loader();
    const read = await this.read(key, options);
    if (!read) return loader();
    if (read.hit) return read.hit.value as T;
    const flight = `${read.keys.entry}\n${read.versions.join(' ')}`;
    let load = this.inFlight.get(flight) as Promise<T> | undefined;
    if (!load) {
      load = this.load(read, key, loader, options).finally(() => this.inFlight.delete(flight));
      this.inFlight.set(flight, load);
    }
    return load;
  }

  /** Removes one entry (after the commit, inside a commit scope). */
  async del(key: CacheKey, options: InvalidateOptions = {}): Promise<void> {
    if (!this.options.enabled) return;
    const scope = this.scope(options);
    const keys = await this.keysOf(scope, key);
    if (!keys) return;
    await this.whenCommitted(async () => {
      try {
        await this.store.delete(keys.entry);
      } catch {
        // The entry may still be there: invalidate its subjects instead (remembered if that fails too).
        const subjects = subjectsOf(key);
        for (const [i, version] of keys.versions.entries()) await this.bumpVersion(version, subjects[i]!);
      }
    });
  }

  /**
   * Makes every entry of `subject` in the current workspace (or the global scope) stale, on every
   * replica, with one write. Inside a commit scope (nest-context `runInCommitScope`) it runs after
   * the commit, and not at all on rollback. Never throws for the store: a failed invalidation is
   * counted, remembered, and retried before this process uses the cache again.
   */
  async invalidate(subject: string, options: InvalidateOptions = {}): Promise<void> {
    if (!this.options.enabled) return;
    const scope = this.scope(options);
    const work = () => this.invalidateNow(scope, subject);
    const requestId = this.context.get()?.requestId;
    if (!requestId) {
      await this.whenCommitted(work);
      return;
    }
    // Deferred to the commit: until then, this request's own cached reads of the subject go to the source.
    const key = versionKey(this.options.prefix, scope, subject);
    const settle = () => {
      const keys = this.deferred.get(requestId);
      keys?.delete(key);
      if (keys?.size === 0) this.deferred.delete(requestId);
    };
    if (!afterCommit(() => work().finally(settle), settle)) return work();
    const keys = this.deferred.get(requestId) ?? new Set<string>();
    keys.add(key);
    this.deferred.set(requestId, keys);
  }

  /**
   * Invalidates (scope, subject) now, whatever the request context and commit scope: for system
   * work that names the workspace itself (and what the AUDITED_WRITES listener calls after a
   * commit). Never throws for the store, like `invalidate`.
   */
  async invalidateNow(scope: CacheScope, subject: string): Promise<void> {
    if (!this.options.enabled) return;
    await this.bumpVersion(versionKey(this.options.prefix, scope, subject), subject);
  }

  private async bumpVersion(key: string, subject: string): Promise<void> {
    try {
      await this.store.set(key, uuidv7(), 0);
      this.pending.delete(key);
      this.metrics.invalidated(subject);
    } catch (error) {
      this.pending.add(key);
      this.failed('invalidation_failed', error);
      this.logger.warn(`Could not invalidate ${subject} (${describe(error)}): its entries are bypassed in this process until the retry succeeds.`);
    }
  }

  /**
   * Resolves the keys and reads the version and the entry in one round trip. Undefined when the
   * cache must be bypassed for this call (counted); throws only CacheScopeError.
   */
  private async read(key: CacheKey, options: CacheCallOptions, count = true): Promise<Read | undefined> {
    const scope = this.scope(options);
    const keys = await this.keysOf(scope, key);
    if (!keys) return undefined;
    await this.writing.get(keys.entry); // never throws: write() catches
    try {
      if (this.pending.size > 0) await this.pending.flush((versionKey) => this.store.set(versionKey, uuidv7(), 0));
    } catch (error) {
      this.failed(reasonOf(error), error);
      return undefined;
    }
    const requestId = this.deferred.size > 0 ? this.context.get()?.requestId : undefined;
    const deferred = requestId ? this.deferred.get(requestId) : undefined;
    if (keys.versions.some((version) => this.pending.has(version) || deferred?.has(version))) {
      this.metrics.bypassed('pending_invalidation');
      return undefined;
    }
    let answers: unknown[];
    try {
      answers = await this.store.getMany([...keys.versions, keys.entry]);
    } catch (error) {
      this.failed(reasonOf(error), error);
      return undefined;
    }
    const versions = answers.slice(0, keys.versions.length).map((version) => (typeof version === 'string' ? version : undefined));
    const entry = parseEntry(answers[keys.versions.length]);
    const subject = subjectsOf(key)[0]!;
    // An entry counts only when it was written under the current version of every subject.
    if (versions.every((version) => version !== undefined) && entry?.version === versions.join(' ')) {
      if (count) this.metrics.hit(subject);
      return { keys, versions, hit: { value: decodeValue(entry.encoded) } };
    }
    if (count) this.metrics.miss(subject);
    return { keys, versions, hit: undefined };
  }

  private async load<T>(read: Read, key: CacheKey, loader: () => Promise<T> | T, options: CacheCallOptions): Promise<T> {
    const version = await this.currentVersion(read);
    const value = await loader();
    if (version && value !== undefined) await this.writeEntry(read.keys, key, version, value, options, false);
    return value;
  }

  /** The versions an entry is written under (space-separated), creating the missing ones; undefined when the store failed. */
  private async currentVersion(read: Read): Promise<string | undefined> {
    const versions: string[] = [];
    for (const [i, version] of read.versions.entries()) {
      const current = version ?? (await this.newVersion(read.keys.versions[i]!));
      if (!current) return undefined;
      versions.push(current);
    }
    return versions.join(' ');
  }

  /**
   * No version yet for (workspace, subject): write a new one BEFORE loading from the source, and
   * store the entry under it. Why no invalidation is ever lost: an invalidation after this write
   * replaces the version, so the entry written later is dead on arrival; an invalidation before
   * this write came after its own commit, and the load below starts later still, so it reads the
   * committed data. A version lost or evicted only causes misses, never stale hits (the next
   * token is random). Undefined when the store failed: the caller loads without caching.
   */
  private async newVersion(key: string): Promise<string | undefined> {
    const version = uuidv7();
    try {
      await this.store.set(key, version, 0);
      return version;
    } catch (error) {
      this.failed(reasonOf(error), error);
      return undefined;
    }
  }

  /**
   * Encodes and writes an entry (after the commit, inside a commit scope). `set` waits for the
   * write; a miss of `wrap` does not (the caller has its value: its answer need not wait for Redis),
   * and reads of that entry in this process wait for it instead, so this process reads its own
   * writes in order.
   */
  private async writeEntry(keys: StoreKeys, key: CacheKey, version: string, value: unknown, options: CacheCallOptions, wait = true): Promise<void> {
    const encoded = encodeValue(value);
    if (encoded instanceof UnstorableValue) {
      this.metrics.bypassed('unserializable_value');
      this.logOnce(
        key,
        `A value of ${shapeOf(key)} was not cached: it holds ${encoded.reason}. Return plain data (objects, arrays, strings, numbers, booleans, null, Dates).`,
      );
      return;
    }
    const entry = formatEntry(version, encoded);
    const ttl = options.ttl ?? this.options.ttl;
    const write = async () => {
      try {
        await this.store.set(keys.entry, entry, ttl);
      } catch (error) {
        this.failed(reasonOf(error), error);
      }
    };
    // Inside a transaction the value may hold uncommitted data: write it once committed, never on rollback.
    if (wait) return this.whenCommitted(write);
    const start = () => {
      // On the next turn of the event loop: the store's own serialization and the command's
      // encoding then run after this request's answer is on its way, not before it.
      const writing: Promise<void> = nextTurn()
        .then(write)
        .finally(() => {
          if (this.writing.get(keys.entry) === writing) this.writing.delete(keys.entry);
        });
      this.writing.set(keys.entry, writing);
    };
    if (!afterCommit(start)) start();
  }

  private async keysOf(scope: CacheScope, key: CacheKey): Promise<StoreKeys | undefined> {
    if (!isSubjectList(key?.subject)) {
      throw new CacheKeyError(
        `A TenantCache key needs a subject (or a non-empty list of them) naming what the data comes from, got ${JSON.stringify(key?.subject)}.`,
      );
    }
    let fingerprints: (string | null)[] | null;
    try {
      const provider = this.fingerprints;
      fingerprints = provider ? await Promise.all(subjectsOf(key).map((subject) => provider.forSubject(subject))) : null;
    } catch (error) {
      this.failed('error', error); // callers cannot be told apart: share nothing
      return undefined;
    }
    const keys = storeKeys(this.options.prefix, scope, key, fingerprints);
    if (keys instanceof NotPlainData) {
      this.metrics.bypassed('unserializable_args');
      this.logOnce(key, `${shapeOf(key)} was not cached: its key holds ${keys.reason}. Key parts must be plain data (or give @Cached a key function).`);
      return undefined;
    }
    return keys;
  }

  private scope(options: InvalidateOptions): CacheScope {
    if (options.global === true) return { global: true };
    const workspaceId = this.context.get()?.workspaceId;
    if (!workspaceId) {
      throw new CacheScopeError(
        'TenantCache was called outside any workspace: run it inside a request or job of a workspace, ' +
          'or pass { global: true } for data that is the same in every workspace.',
      );
    }
    return { workspaceId };
  }

  private async whenCommitted(work: () => Promise<void>): Promise<void> {
    if (!afterCommit(work)) await work();
  }

  private failed(reason: BypassReason, error: unknown): void {
    this.metrics.bypassed(reason);
    this.logger.debug?.(`Cache bypassed (${reason}): ${describe(error)}`);
  }

  private logOnce(key: CacheKey, message: string): void {
    const shape = shapeOf(key);
    if (this.loggedShapes.has(shape)) return;
    this.loggedShapes.add(shape);
    this.logger.warn(message);
  }
}

/** Subject and first part: `Deal` / `DealService.pipeline`, what a log line can name without data. */
function shapeOf(key: CacheKey): string {
  const [first] = key.parts;
  const subject = subjectsOf(key)[0]!;
  return typeof first === 'string' ? `${subject} ${first}` : subject;
}

function reasonOf(error: unknown): BypassReason {
  return error instanceof CacheStoreError ? error.reason : 'error';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
