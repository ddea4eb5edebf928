import type { ModulesContainer } from '@nestjs/core';
import { CONTEXT_MODULE_OPTIONS } from './context.module-definition';
import type { ContextModuleOptions } from './context.options';

/**
 * The options every `ContextModule` of the app acts on. The suite's packages import
 * `ContextModule.forRoot()` with the defaults so that they work alone; when the app configures
 * its own (`ContextModule.forRoot({ requestIdHeader })`), that one must win, whichever module is
 * imported first and whichever copy's middleware happens to run first. So every copy reads the
 * options that set the most (the app's; the defaults set none), falling back to its own.
 */
export function effectiveContextOptions(modules: ModulesContainer, own: ContextModuleOptions): ContextModuleOptions {
  let chosen = own;
  for (const module of modules.values()) {
    const options = module.providers.get(CONTEXT_MODULE_OPTIONS)?.instance as ContextModuleOptions | undefined;
    if (options && Object.keys(options).length > Object.keys(chosen).length) chosen = options;
  }
  return chosen;
}
