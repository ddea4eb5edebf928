import { ContextService } from '@acme/nest-context';
import { Inject, Injectable } from '@nestjs/common';
import { AuditPipeline } from './audit-pipeline';
import { DEFAULT_AUDIT_TABLE } from './audit-entry';
import { AUDIT_MODULE_OPTIONS } from './audit.module-definition';
import type { AuditModuleOptions } from './audit.options';
import { AuditQuery, type AuditQueryFilters, type AuditQueryPage } from './query/audit-query';

/**
 * Searches the audit log of one workspace: the current one unless `workspaceId` is given
 * (a query is never across workspaces). Keyset-paginated, newest first.
 */
@Injectable()
export class AuditQueryService {
  constructor(
    @Inject(AUDIT_MODULE_OPTIONS) private readonly options: AuditModuleOptions,
    private readonly pipeline: AuditPipeline,
    private readonly context: ContextService,
  ) {}

  find(filters: Partial<AuditQueryFilters> = {}): Promise<AuditQueryPage> {
    const query = new AuditQuery(this.pipeline.database, { table: this.options.table ?? DEFAULT_AUDIT_TABLE, schema: this.options.schema });
    return query.find({ ...filters, workspaceId: filters.workspaceId ?? this.context.get()?.workspaceId ?? '' } as AuditQueryFilters);
  }
}
