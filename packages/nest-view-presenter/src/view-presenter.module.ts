import { Module } from '@nestjs/common';
import { RESOLVED_VIEW_PRESENTER_OPTIONS, resolveViewPresenterOptions } from './resolve-view-presenter-options';
import { ConfigurableViewPresenterModule, VIEW_PRESENTER_MODULE_OPTIONS, VIEW_PRESENTER_OPTIONS_TYPE } from './view-presenter.module-definition';
import type { ViewPresenterModuleOptions } from './view-presenter.options';

/**
 * App-wide defaults for `@ViewResponse` (mode, sampling, violation hook). Optional: without it
 * every `@ViewResponse` route is 'strict' with every response validated. Its options are
 * validated and defaulted once, at bootstrap.
 *
 * @example imports: [ViewPresenterModule.forRoot({ mode: 'strict', sampleRate: 0.1 })]
 */
@Module({
  providers: [
    {
      provide: RESOLVED_VIEW_PRESENTER_OPTIONS,
      inject: [VIEW_PRESENTER_MODULE_OPTIONS],
      useFactory: (options: ViewPresenterModuleOptions) => resolveViewPresenterOptions(options, 'ViewPresenterModule'),
    },
  ],
  exports: [VIEW_PRESENTER_MODULE_OPTIONS, RESOLVED_VIEW_PRESENTER_OPTIONS],
})
export class ViewPresenterModule extends ConfigurableViewPresenterModule {
  /** Every option has a default, so `forRoot()` needs no argument. */
  static override forRoot(options: typeof VIEW_PRESENTER_OPTIONS_TYPE = {}) {
    return super.forRoot(options);
  }
}
