import { Inject, Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { ContextMiddleware } from './context.middleware';
import { CONTEXT_MODULE_OPTIONS, CONTEXT_OPTIONS_TYPE, ConfigurableContextModule } from './context.module-definition';
import type { ContextModuleOptions } from './context.options';
import { ContextService } from './context.service';
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
  private readonly mountMiddleware: boolean;

  constructor(@Inject(CONTEXT_MODULE_OPTIONS) options: ContextModuleOptions) {
    super();
    validateContextOptions(options);
    this.mountMiddleware = options.mountMiddleware ?? true;
  }

  /** Every option has a default, so `forRoot()` needs no argument. */
  static override forRoot(options: typeof CONTEXT_OPTIONS_TYPE = {}) {
    return super.forRoot(options);
  }

  configure(consumer: MiddlewareConsumer): void {
    if (!this.mountMiddleware) return;
    // `{*path}` matches every path, the root included, on Express 5 and Fastify 5 (Nest 11 and 12).
    consumer.apply(ContextMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
