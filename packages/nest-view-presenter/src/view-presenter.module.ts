import { Inject, Module } from '@nestjs/common';
import { validateContractOptions } from './validate-contract-options';
import {
  ConfigurableViewPresenterModule,
  VIEW_PRESENTER_OPTIONS,
  VIEW_PRESENTER_OPTIONS_TYPE,
} from './view-presenter.module-definition';
import type { ViewPresenterModuleOptions } from './view-presenter.options';

/**
 * App-wide defaults for `@ViewResponse` (mode, sampling, violation hook). Optional: without it
 * every `@ViewResponse` route is 'strict' with every response validated.
 *
 * @example imports: [ViewPresenterModule.forRoot({ mode: 'strict', sampleRate: 0.1 })]
 */
@Module({ exports: [VIEW_PRESENTER_OPTIONS] })
export class ViewPresenterModule extends ConfigurableViewPresenterModule {
  constructor(@Inject(VIEW_PRESENTER_OPTIONS) options: ViewPresenterModuleOptions) {
    super();
    validateContractOptions(options, 'ViewPresenterModule');
  }

  /** Every option has a default, so `forRoot()` needs no argument. */
  static override forRoot(options: typeof VIEW_PRESENTER_OPTIONS_TYPE = {}) {
    return super.forRoot(options);
  }
}
