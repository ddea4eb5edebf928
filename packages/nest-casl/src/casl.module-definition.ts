import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { CaslModuleExtras, CaslModuleOptions } from './casl.options';

/** DI token of the resolved `CaslModuleOptions`. */
export const CASL_MODULE_OPTIONS = Symbol.for('@acme/nest-casl:options');

export const {
  ConfigurableModuleClass: ConfigurableCaslModule,
  OPTIONS_TYPE: CASL_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: CASL_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<CaslModuleOptions>({ moduleName: 'Casl', optionsInjectionToken: CASL_MODULE_OPTIONS })
  .setClassMethodName('forRoot')
  .setExtras<CaslModuleExtras>({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
