import type { ViewContractOptions } from './view-contract';

/**
 * Options of `ViewPresenterModule.forRoot` / `forRootAsync`: the defaults of every `@ViewResponse`
 * in the app (a decorator's own `mode`/`sampleRate` win). All have defaults.
 */
export type ViewPresenterModuleOptions = ViewContractOptions;

/** Extras that shape the module itself rather than its behaviour. */
export interface ViewPresenterModuleExtras {
  /**
   * Register the options globally so `@ViewResponse` routes in every module see them. Routes in a
   * module that cannot see them use the defaults ('strict', every response validated).
   * @default true
   */
  isGlobal?: boolean;
}
