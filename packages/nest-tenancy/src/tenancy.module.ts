import { ContextModule } from '@acme/nest-context';
import { Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { RESOLVED_TENANCY_OPTIONS, resolveTenancyOptions, type ResolvedTenancyOptions } from './resolve-tenancy-options';
import { TenancyMembershipCache } from './membership-cache';
import { checkRlsPosture } from './rls-posture';
import { TENANCY_MODULE_OPTIONS, TENANCY_OPTIONS_TYPE, ConfigurableTenancyModule } from './tenancy.module-definition';
import { TenancyGuard } from './tenancy.guard';
import { Tenancy } from './tenancy.service';
import { TenantDb } from './tenant-db';
import { TenantTransactionInterceptor } from './tenant-transaction.interceptor';

/**
 * Workspace isolation for the app: provides `TenantDb` (the scoped Drizzle database),
 * `Tenancy` (jobs, escape hatch) and `TenancyGuard`; with `rls: true` it runs each request in
 * a transaction that sets the workspace and checks the database posture at startup. The app
 * imports `ContextModule.forRoot()` itself; bootstrap fails with `CONTEXT_NOT_CONFIGURED` when
 * it does not.
 */
@Module({
  imports: [ContextModule.forFeature()],
  providers: [
    { provide: RESOLVED_TENANCY_OPTIONS, useFactory: resolveTenancyOptions, inject: [TENANCY_MODULE_OPTIONS] },
    {
      provide: TenantDb,
      inject: [RESOLVED_TENANCY_OPTIONS],
      useFactory: (options: ResolvedTenancyOptions) => new TenantDb(options.db, options),
    },
    Tenancy,
    TenancyGuard,
    TenancyMembershipCache,
    { provide: APP_INTERCEPTOR, useClass: TenantTransactionInterceptor },
  ],
  // The resolved options too: an app's `{ provide: APP_GUARD, useClass: TenancyGuard }` is built in the app's module.
  exports: [TenantDb, Tenancy, TenancyGuard, TenancyMembershipCache, TENANCY_MODULE_OPTIONS, RESOLVED_TENANCY_OPTIONS],
})
export class TenancyModule extends ConfigurableTenancyModule implements OnApplicationBootstrap {
  // Asks for the resolved options so that invalid ones fail bootstrap (a `TenancyOptionsError`
  // naming the option), whatever else the app injects.
  constructor(@Inject(RESOLVED_TENANCY_OPTIONS) private readonly options: ResolvedTenancyOptions) {
    super();
  }

  static override forRoot(options: typeof TENANCY_OPTIONS_TYPE) {
    return super.forRoot(options);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.options.rls || !this.options.checkPosture) return;
    await checkRlsPosture(this.options.db, [...this.options.tables]);
  }
}
