import { ContextService, type Actor } from '@acme/nest-context';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { PgDatabase } from 'drizzle-orm/pg-core';
import { TENANCY_MODULE_OPTIONS } from './tenancy.module-definition';
import type { TenancyModuleOptions } from './tenancy.options';
import { TenantDb } from './tenant-db';

/** Workspace scoping outside HTTP requests: jobs, crons, scripts. */
@Injectable()
export class Tenancy {
  private readonly logger = new Logger('Tenancy');

  constructor(
    @Inject(TENANCY_MODULE_OPTIONS) private readonly options: TenancyModuleOptions,
    private readonly db: TenantDb,
    private readonly context: ContextService,
  ) {}

  /**
   * Runs `fn` as work of one workspace: the context carries the workspace (and `actor`, by
   * default the current one or System), and with RLS it runs in a transaction that sets it.
   */
  runInWorkspace<T>(workspaceId: string, fn: () => Promise<T>, actor?: Actor): Promise<T> {
    const current = this.context.get();
    return this.context.run(
      { requestId: current?.requestId, workspaceId, actor: actor ?? current?.actor ?? { kind: 'System', id: null } },
      () => (this.db.rls ? this.db.transaction(() => fn()) : fn()),
    );
  }

  /**
   * The deliberate escape hatch: runs `fn` with the unscoped database (`systemDb` when given)
   * for cross-workspace work such as a nightly job over all workspaces. Logged with `reason`
   * every time, so each use is visible in logs and easy to grep for.
   */
  withoutTenant<T>(reason: string, fn: (db: PgDatabase<any, any, any>) => T): T {
    if (!reason.trim()) throw new Error('Tenancy.withoutTenant needs a reason: it is logged with every use.');
    const context = this.context.get();
    this.logger.warn({ msg: 'withoutTenant', reason, requestId: context?.requestId, actor: context?.actor });
    return fn(this.options.systemDb ?? this.options.db);
  }
}
