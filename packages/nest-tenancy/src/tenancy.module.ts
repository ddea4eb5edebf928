import { ContextModule } from '@acme/nest-context';
import { Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { is } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { checkRlsPosture } from './rls-posture';
import { TENANCY_MODULE_OPTIONS, TENANCY_OPTIONS_TYPE, ConfigurableTenancyModule } from './tenancy.module-definition';
import type { TenancyModuleOptions } from './tenancy.options';
import { TenancyGuard } from './tenancy.guard';
import { Tenancy } from './tenancy.service';
import { TenantDb } from './tenant-db';
import { tenantColumnOf } from './tenant-table';
import { TenantTransactionInterceptor } from './tenant-transaction.interceptor';
import { validateTenancyOptions } from './validate-tenancy-options';

/**
 * Workspace isolation for the app: provides `TenantDb` (the scoped Drizzle database),
 * `Tenancy` (jobs, escape hatch) and `TenancyGuard`; with `rls: true` it runs each request in
 * a transaction that sets the workspace and checks the database posture at startup.
 */
@Module({
  imports: [ContextModule.forRoot()],
  providers: [
    {
      provide: TenantDb,
      inject: [TENANCY_MODULE_OPTIONS],
      useFactory: (options: TenancyModuleOptions) =>
        new TenantDb(options.db, { rls: options.rls, tenantColumn: options.tenantColumn, rlsSetting: options.rlsSetting }),
    },
    Tenancy,
    TenancyGuard,
    { provide: APP_INTERCEPTOR, useClass: TenantTransactionInterceptor },
  ],
  exports: [TenantDb, Tenancy, TenancyGuard, TENANCY_MODULE_OPTIONS],
})
export class TenancyModule extends ConfigurableTenancyModule implements OnApplicationBootstrap {
  constructor(@Inject(TENANCY_MODULE_OPTIONS) private readonly options: TenancyModuleOptions) {
    super();
    validateTenancyOptions(options);
  }

  static override forRoot(options: typeof TENANCY_OPTIONS_TYPE) {
    return super.forRoot(options);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.options.rls || this.options.checkPosture === false) return;
    await checkRlsPosture(this.options.db, this.tenantTables());
  }

  private tenantTables(): PgTable[] {
    if (this.options.tables) return this.options.tables;
    const schema = (this.options.db as unknown as { _: { fullSchema?: Record<string, unknown> } })._.fullSchema ?? {};
    return Object.values(schema).filter(
      (value): value is PgTable => is(value, PgTable) && tenantColumnOf(value, this.options.tenantColumn) !== null,
    );
  }
}
