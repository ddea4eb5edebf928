import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { InvalidationBusModuleExtras, InvalidationBusOptions } from './invalidation-bus.options';

/** DI token of the `InvalidationBusOptions` as given to `forRoot` / returned by `forRootAsync`'s factory. */
export const INVALIDATION_BUS_MODULE_OPTIONS = Symbol.for('@acme/nest-cache:invalidation-bus-options');

export const {
  ConfigurableModuleClass: ConfigurableInvalidationBusModule,
  OPTIONS_TYPE: INVALIDATION_BUS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: INVALIDATION_BUS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<InvalidationBusOptions>({
  moduleName: 'InvalidationBus',
  optionsInjectionToken: INVALIDATION_BUS_MODULE_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setExtras<InvalidationBusModuleExtras>({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
