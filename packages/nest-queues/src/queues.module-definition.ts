import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { QueuesModuleExtras, QueuesModuleOptions } from './queues.options';

/** DI token of the `QueuesModuleOptions` as given to `forRoot` / returned by `forRootAsync`'s factory. */
export const QUEUES_MODULE_OPTIONS = Symbol.for('@acme/nest-queues:options');

/** Internal: the options validated and defaulted once (`resolveQueuesOptions`), what the services read. */
export const RESOLVED_QUEUES_OPTIONS = Symbol.for('@acme/nest-queues:resolved-options');

export const {
  ConfigurableModuleClass: ConfigurableQueuesModule,
  OPTIONS_TYPE: QUEUES_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: QUEUES_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<QueuesModuleOptions>({
  moduleName: 'Queues',
  optionsInjectionToken: QUEUES_MODULE_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setExtras<QueuesModuleExtras>({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
