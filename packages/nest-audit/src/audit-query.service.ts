import { ContextService } from '@acme/nest-context';
import { Inject, Injectable } from '@nestjs/common';
import { AuditPipeline } from './audit-pipeline';
import { RESOLVED_AUDIT_OPTIONS } from './audit.module-definition';
import type { ResolvedAuditOptions } from './resolve-audit-options';
import { AuditQuery, type AuditQueryFilters, type AuditQueryPage } from './query/audit-query';

/**
 * Searches the audit log of one workspace: the current one unless `workspaceId` is given
 * (a query is never across workspaces). Keyset-paginated, newest first.
 */
@Injectable()
export class AuditQueryService {
  constructor(
    @Inject(RESOLVED_AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
    private readonly pipeline: AuditPipeline,
    private readonly context: ContextService,
  ) {}

  find(filters: Partial<AuditQueryFilters> = {}): Promise<AuditQueryPage> {
    const query = new AuditQuery(this.pipeline.database, { table: this.options.table, schema: this.options.schema });
    return query.find({ ...filters, workspaceId: filters.workspaceId ?? this.context.get()?.workspaceId ?? '' } as AuditQueryFilters);
  }
}
