import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { TenantCacheModuleOptions } from './tenant-cache.options';

/** DI token of the `TenantCacheModuleOptions` as given to `forRoot` / returned by `forRootAsync`'s factory. */
export const TENANT_CACHE_MODULE_OPTIONS = Symbol.for('@acme/nest-cache:options');

/** Internal: the options validated and defaulted once (`resolveTenantCacheOptions`), what the services read. */
export const RESOLVED_TENANT_CACHE_OPTIONS = Symbol.for('@acme/nest-cache:resolved-options');

export const {
  ConfigurableModuleClass: ConfigurableTenantCacheModule,
  OPTIONS_TYPE: TENANT_CACHE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: TENANT_CACHE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<TenantCacheModuleOptions>({
  moduleName: 'TenantCache',
  optionsInjectionToken: TENANT_CACHE_MODULE_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setExtras({}, (definition) => ({ ...definition, global: true }))
  .build();
