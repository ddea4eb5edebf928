import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ContextModuleExtras, ContextModuleOptions } from './context.options';

/** DI token of the resolved `ContextModuleOptions`. */
export const CONTEXT_MODULE_OPTIONS = Symbol.for('@acme/nest-context:options');

export const {
  ConfigurableModuleClass: ConfigurableContextModule,
  OPTIONS_TYPE: CONTEXT_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: CONTEXT_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ContextModuleOptions>({
  moduleName: 'Context',
  optionsInjectionToken: CONTEXT_MODULE_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setExtras<ContextModuleExtras>({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
