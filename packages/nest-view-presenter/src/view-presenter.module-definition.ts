import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ViewPresenterModuleExtras, ViewPresenterModuleOptions } from './view-presenter.options';

/** DI token of the `ViewPresenterModuleOptions` given to `forRoot` / `forRootAsync`, as given. */
export const VIEW_PRESENTER_MODULE_OPTIONS = Symbol.for('@acme/nest-view-presenter:options');

/**
 * The old name of `VIEW_PRESENTER_MODULE_OPTIONS`.
 *
 * @deprecated Renamed `VIEW_PRESENTER_MODULE_OPTIONS` (the suite names every options token
 * `<PKG>_MODULE_OPTIONS`); the same token, so both inject the same value. This alias will be removed.
 */
export const VIEW_PRESENTER_OPTIONS: typeof VIEW_PRESENTER_MODULE_OPTIONS = VIEW_PRESENTER_MODULE_OPTIONS;

export const {
  ConfigurableModuleClass: ConfigurableViewPresenterModule,
  OPTIONS_TYPE: VIEW_PRESENTER_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: VIEW_PRESENTER_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ViewPresenterModuleOptions>({
  moduleName: 'ViewPresenter',
  optionsInjectionToken: VIEW_PRESENTER_MODULE_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setExtras<ViewPresenterModuleExtras>({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
