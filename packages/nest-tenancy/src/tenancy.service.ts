import { ContextService, type Actor } from '@acme/nest-context';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { PgDatabase } from 'drizzle-orm/pg-core';
import { RESOLVED_TENANCY_OPTIONS, type ResolvedTenancyOptions } from './resolve-tenancy-options';
import { TenancyArgumentError } from './tenancy.errors';
import { TenantDb } from './tenant-db';

/**
 * Workspace scoping outside HTTP requests: jobs, crons, scripts. An injectable provider of
 * `TenancyModule` (inject it: `constructor(private readonly tenancy: Tenancy)`), not a static API.
 */
@Injectable()
export class Tenancy {
  private readonly logger = new Logger('Tenancy');

  constructor(
    @Inject(RESOLVED_TENANCY_OPTIONS) private readonly options: ResolvedTenancyOptions,
    private readonly db: TenantDb,
    private readonly context: ContextService,
  ) {}

  /**
   * Runs `fn` as work of one workspace: the context carries the workspace (and `actor`, by
   * default the current one or System), and with RLS it runs in a transaction that sets it.
   */
  runInWorkspace<T>(workspaceId: string, fn: () => Promise<T>, actor?: Actor): Promise<T> {
    const current = this.context.get();
    return this.context.run({ requestId: current?.requestId, workspaceId, actor: actor ?? current?.actor ?? { kind: 'System', id: null } }, () =>
      this.db.rls ? this.db.transaction(() => fn()) : fn(),
    );
  }

  /**
   * The deliberate escape hatch: runs `fn` with the unscoped database (`systemDb` when given)
   * for cross-workspace work such as a nightly job over all workspaces. Logged with `reason`
   * every time, so each use is visible in logs and easy to grep for.
   */
  withoutTenant<T>(reason: string, fn: (db: PgDatabase<any, any, any>) => T): T {
    if (typeof reason !== 'string' || !reason.trim()) {
      throw new TenancyArgumentError(
        'Tenancy.withoutTenant(reason, fn) needs a reason: it is logged with every use. Pass a short label such as "nightly-digest".',
      );
    }
    const context = this.context.get();
    this.logger.warn({ msg: 'withoutTenant', reason, requestId: context?.requestId, actor: context?.actor });
    return fn(this.options.systemDb);
  }
}
