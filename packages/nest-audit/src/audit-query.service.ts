import { ContextService } from '@acme/nest-context';
import { Inject, Injectable } from '@nestjs/common';
import { AuditPipeline } from './audit-pipeline';
import { RESOLVED_AUDIT_OPTIONS } from './audit.module-definition';
import type { ResolvedAuditOptions } from './resolve-audit-options';
import { AuditQuery, type AuditQueryFilters, type AuditQueryPage } from './query/audit-query';
import type { Readable } from 'node:stream';
import { AuditExport, type AuditExportFilters } from './export/audit-export';

/**
 * Searches and exports the audit log of one workspace: the current one unless `workspaceId` is
 * given (a query is never across workspaces). `find`: keyset-paginated, newest first; `export`:
 * a stream of every matching entry, oldest first.
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

  /**
   * Every entry matching the filters (those of `find`, without `limit` and `cursor`), oldest
   * first, as NDJSON lines or CSV rows, each with the `cursor` to resume after it (`after`).
   * Memory stays at about one page of rows whatever the size of the log, and pages are read as
   * the stream's reader takes them. Input is validated before the stream is returned.
   * @throws AuditQueryError for invalid input (a client error: 400), like `find`
   */
  export(filters: Partial<AuditExportFilters> & Pick<AuditExportFilters, 'format'>): Readable {
    const exporter = new AuditExport(this.pipeline.database, { table: this.options.table, schema: this.options.schema });
    return exporter.stream({ ...filters, workspaceId: filters.workspaceId ?? this.context.get()?.workspaceId ?? '' } as AuditExportFilters);
  }
}
