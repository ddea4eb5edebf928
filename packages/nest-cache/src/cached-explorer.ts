import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { CachedDefinitionError } from './cache.errors';
import { CACHED_METADATA, type CachedOptions } from './cached.decorator';
import { TenantCache } from './tenant-cache';

const WRAPPED = Symbol.for('@acme/nest-cache:wrapped');

/**
 * Finds `@Cached` methods on every provider through Nest's discovery and wraps them on the
 * instance with `TenantCache.wrap`, so every caller goes through the cache. The wrapper keeps the
 * original's reflect metadata (so another wrapper, such as @Audit's, still finds its own).
 */
@Injectable()
export class CachedExplorer implements OnModuleInit {
  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
    @Inject(TenantCache) private readonly cache: TenantCache,
  ) {}

  onModuleInit(): void {
    // Route handlers are bound before init hooks run, so a wrapper on a controller would never be called.
    for (const wrapper of this.discovery.getControllers()) {
      const prototype = wrapper.metatype?.prototype as Record<string, unknown> | undefined;
      if (!prototype) continue;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        if (Reflect.getMetadata(CACHED_METADATA, prototype[name] as object)) {
          throw new CachedDefinitionError(
            `@Cached is on ${wrapper.name}.${name}, a controller method. Put it on the service method the controller calls: ` +
              'a controller method is bound to its route before it could be wrapped.',
          );
        }
      }
    }
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string | symbol, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const original = instance[name];
        if (typeof original !== 'function' || (original as { [WRAPPED]?: boolean })[WRAPPED]) continue;
        const options = Reflect.getMetadata(CACHED_METADATA, original) as CachedOptions | undefined;
        if (options) instance[name] = this.wrap(original as (...args: unknown[]) => unknown, `${prototype.constructor.name}.${name}`, options);
      }
    }
  }

  private wrap(original: (...args: unknown[]) => unknown, method: string, options: CachedOptions) {
    const cache = this.cache;
    const { subject, ttl, global } = options;
    const wrapped = function (this: unknown, ...args: unknown[]) {
      const parts = [method, options.key ? options.key(...args) : args];
      return cache.wrap({ subject, parts }, () => original.apply(this, args), { ttl, global });
    };
    for (const key of Reflect.getMetadataKeys(original)) Reflect.defineMetadata(key, Reflect.getMetadata(key, original), wrapped);
    Object.defineProperty(wrapped, 'name', { value: original.name });
    Object.defineProperty(wrapped, WRAPPED, { value: true });
    return wrapped;
  }
}
