import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { QueuesModuleExtras, QueuesModuleOptions } from './queues.options';

/** DI token of the resolved `QueuesModuleOptions`. */
export const QUEUES_MODULE_OPTIONS = Symbol.for('@acme/nest-queues:options');

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
