import { Inject, Module, Optional, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { ContextMiddleware } from './context.middleware';
import { CONTEXT_MODULE_OPTIONS, CONTEXT_OPTIONS_TYPE, ConfigurableContextModule } from './context.module-definition';
import type { ContextModuleOptions } from './context.options';
import { ContextService } from './context.service';
import { effectiveContextOptions } from './effective-context-options';
import { validateContextOptions } from './validate-context-options';

/**
 * Opens a request context for every HTTP request and provides `ContextService`.
 * Does not require the app to configure nestjs-cls; an app that did keeps its setup.
 *
 * @example imports: [ContextModule.forRoot()]  // global, middleware on every route
 */
@Module({
  providers: [ContextService, ContextMiddleware],
  exports: [ContextService, ContextMiddleware],
})
export class ContextModule extends ConfigurableContextModule implements NestModule {
  constructor(
    @Inject(CONTEXT_MODULE_OPTIONS) private readonly options: ContextModuleOptions,
    @Optional() @Inject(ModulesContainer) private readonly modules?: ModulesContainer,
  ) {
    super();
    validateContextOptions(options);
  }

  /** Every option has a default, so `forRoot()` needs no argument. */
  static override forRoot(options: typeof CONTEXT_OPTIONS_TYPE = {}) {
    return super.forRoot(options);
  }

  configure(consumer: MiddlewareConsumer): void {
    // The app's own options decide, also for the copy a package imported (see effectiveContextOptions).
    const options = this.modules ? effectiveContextOptions(this.modules, this.options) : this.options;
    if (!(options.mountMiddleware ?? true)) return;
    // `{*path}` matches every path, the root included, on Express 5 and Fastify 5 (Nest 11 and 12).
    consumer.apply(ContextMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
