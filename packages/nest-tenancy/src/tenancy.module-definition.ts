import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { TenancyModuleExtras, TenancyModuleOptions } from './tenancy.options';

/** DI token of the resolved `TenancyModuleOptions`. */
export const TENANCY_MODULE_OPTIONS = Symbol.for('@acme/nest-tenancy:options');

export const {
  ConfigurableModuleClass: ConfigurableTenancyModule,
  OPTIONS_TYPE: TENANCY_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: TENANCY_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<TenancyModuleOptions>({
  moduleName: 'Tenancy',
  optionsInjectionToken: TENANCY_MODULE_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setExtras<TenancyModuleExtras>({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
