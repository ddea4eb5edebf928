import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ViewPresenterModuleExtras, ViewPresenterModuleOptions } from './view-presenter.options';

/** DI token of the resolved `ViewPresenterModuleOptions`. */
export const VIEW_PRESENTER_OPTIONS = Symbol.for('@acme/nest-view-presenter:options');

export const {
  ConfigurableModuleClass: ConfigurableViewPresenterModule,
  OPTIONS_TYPE: VIEW_PRESENTER_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: VIEW_PRESENTER_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ViewPresenterModuleOptions>({
  moduleName: 'ViewPresenter',
  optionsInjectionToken: VIEW_PRESENTER_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setExtras<ViewPresenterModuleExtras>({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
