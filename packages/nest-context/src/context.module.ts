import { Inject, Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule, type OnModuleInit } from '@nestjs/common';
import { ContextFeatureModule } from './context-feature.module';
import { ContextMiddleware } from './context.middleware';
import { CONTEXT_MODULE_OPTIONS, CONTEXT_OPTIONS_TYPE, ConfigurableContextModule } from './context.module-definition';
import type { ContextModuleOptions } from './context.options';
import { ContextService } from './context.service';
import { loadTraceApi } from './trace-ids';
import { validateContextOptions } from './validate-context-options';

/**
 * The request context. The app imports `forRoot()` once, in its root module: that copy owns the
 * options and opens a context for every HTTP request. Libraries import `forFeature()`, which
 * provides `ContextService` and mounts nothing (as nestjs-cls's `ClsModule.forFeature`).
 *
 * @example imports: [ContextModule.forRoot()]     // the app: global, middleware on every route
 * @example imports: [ContextModule.forFeature()]  // a library module
 */
@Module({
  providers: [ContextService, ContextMiddleware],
  exports: [ContextService, ContextMiddleware],
})
export class ContextModule extends ConfigurableContextModule implements NestModule, OnModuleInit {
  constructor(@Inject(CONTEXT_MODULE_OPTIONS) private readonly options: ContextModuleOptions) {
    super();
    validateContextOptions(options);
  }

  /** Every option has a default, so `forRoot()` needs no argument. */
  static override forRoot(options: typeof CONTEXT_OPTIONS_TYPE = {}) {
    return super.forRoot(options);
  }

  /**
   * For library modules: provides `ContextService` without mounting middleware or owning options.
   * The app must still import `ContextModule.forRoot()`; bootstrap fails with
   * `CONTEXT_NOT_CONFIGURED` when it does not.
   */
  static forFeature(): DynamicModule {
    return { module: ContextFeatureModule, providers: [ContextService], exports: [ContextService] };
  }

  /** Loads `@opentelemetry/api` when installed, so `currentTraceIds()` (synchronous) can read spans. */
  async onModuleInit(): Promise<void> {
    await loadTraceApi();
  }

  configure(consumer: MiddlewareConsumer): void {
    if (!(this.options.mountMiddleware ?? true)) return;
    // `{*path}` matches every path, the root included, on Express 5 and Fastify 5 (Nest 11 and 12).
    consumer.apply(ContextMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
