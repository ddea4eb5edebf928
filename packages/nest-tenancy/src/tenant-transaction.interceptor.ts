import { ContextService } from '@acme/nest-context';
import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { TenantDb } from './tenant-db';

/**
 * With `rls: true`, runs each request that has a workspace in one transaction whose first
 * statement sets the workspace for the RLS policies (transaction-local, so a pooled connection
 * never carries it to the next request). An error anywhere in the handler rolls it back.
 * Registered globally by TenancyModule; without RLS or without a workspace it does nothing.
 */
@Injectable()
export class TenantTransactionInterceptor implements NestInterceptor {
  constructor(
    private readonly db: TenantDb,
    private readonly context: ContextService,
  ) {}

  intercept(_execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.db.rls || !this.context.get()?.workspaceId) return next.handle();
    return from(this.db.transaction(() => lastValueFrom(next.handle(), { defaultValue: undefined })));
  }
}
