import { Cached, CacheNotConfiguredError, CacheOptionsError, TenantCache, TenantCacheModule, CachedDefinitionError } from '@acme/nest-cache';
import { ContextModule, ContextService, uuidv7 } from '@acme/nest-context';
import { CacheModule } from '@nestjs/cache-manager';
import { Controller, Get, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { redisStore } from './support/cache-app';

async function boot(...imports: (DynamicModule | object)[]) {
  @Module({ imports: [ContextModule.forRoot(), ...(imports as DynamicModule[])] })
  class AppModule {}
  return NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
}

describe('TenantCacheModule options', () => {
  it('no stores and no CacheModule in the app: CACHE_NOT_CONFIGURED at bootstrap', async () => {
    const error = await boot(TenantCacheModule.forRoot({ metrics: false })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CacheNotConfiguredError);
    expect((error as Error).message).toMatch(/createKeyv|CacheModule/);
  });

  it.each([[{ ttl: -1 }], [{ timeoutMs: 1.5 }], [{ prefix: 'a{b}' }], [{ stores: [] }], [{ metrics: 'yes' }]])(
    'invalid %j: CACHE_INVALID_OPTIONS naming the option',
    async (options) => {
      const error = await boot(TenantCacheModule.forRoot(options as never)).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CacheOptionsError);
      expect((error as CacheOptionsError).code).toBe('CACHE_INVALID_OPTIONS');
    },
  );

  it("without stores, the app's CacheModule (@nestjs/cache-manager) store is used; forRootAsync works", async () => {
    const { store, prefix } = await redisStore();
    const app = await boot(
      CacheModule.register({ isGlobal: true, stores: [store] }),
      TenantCacheModule.forRootAsync({ useFactory: async () => ({ prefix, metrics: false }) }),
    );
    try {
      const cache = app.get(TenantCache);
      const context = app.get(ContextService);
      const ws = uuidv7();
      await context.run({ workspaceId: ws, actor: { kind: 'System', id: null } }, () => cache.set({ subject: 'Deal', parts: [1] }, 'one'));
      expect(await context.run({ workspaceId: ws, actor: { kind: 'System', id: null } }, () => cache.get({ subject: 'Deal', parts: [1] }))).toBe('one');
      const keys = await store.store.client.keys(`${prefix}:{${ws}}:*`);
      expect(keys.length).toBe(2); // the version and the entry, in Redis under the workspace's hash tag
    } finally {
      await app.close();
    }
  });

  it('@Cached on a controller method is refused at bootstrap', async () => {
    const { store, prefix } = await redisStore();
    @Controller()
    class DealsController {
      @Cached({ subject: 'Deal' })
      @Get()
      list() {
        return [];
      }
    }
    @Module({ controllers: [DealsController] })
    class Feature {}
    const error = await boot(TenantCacheModule.forRoot({ stores: [store], prefix, metrics: false }), Feature).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CachedDefinitionError);
  });

  it('@Cached options are checked where they are written', () => {
    expect(() => Cached({ subject: '' })).toThrow(CachedDefinitionError);
    expect(() => Cached({ subject: 'Deal', ttl: 0 })).toThrow(CachedDefinitionError);
    @Injectable()
    class Fine {
      @Cached({ subject: 'Deal', ttl: 1000 })
      find() {
        return 1;
      }
    }
    expect(Fine).toBeDefined();
  });
});
