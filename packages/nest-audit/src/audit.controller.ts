import { applyDecorators, BadRequestException, Controller, Get, Inject, Query, type Type } from '@nestjs/common';
import { AuditQueryService } from './audit-query.service';
import type { AuditQueryFilters, AuditQueryPage } from './query/audit-query';
import { AuditQueryError } from './query/audit-query.errors';

/** `AuditModule.forRoot({ ..., controller })`: mounts `GET /<path>` over `AuditQueryService`. */
export interface AuditControllerOptions {
  /** @default 'audit' */
  path?: string;
  /**
   * Decorators for the route: the authorization your app requires, e.g.
   * `[CheckAbility('Read', 'Audit Entry')]` with @acme/nest-casl (whose guard refuses a route
   * without one), or `[UseGuards(AdminGuard)]`.
   */
  decorators?: (ClassDecorator | MethodDecorator)[];
}

/** Query parameters of the mounted route and the filter each one sets. */
const PARAMETERS = {
  actor_id: 'actorId',
  actor_kind: 'actorKind',
  subject: 'subject',
  subject_id: 'subjectId',
  action: 'action',
  status: 'status',
  from: 'from',
  to: 'to',
  limit: 'limit',
  cursor: 'cursor',
} as const satisfies Record<string, Exclude<keyof AuditQueryFilters, 'workspaceId'>>;

/**
 * The audit log of the current workspace (never another: there is no workspace parameter),
 * newest first, keyset-paginated. Bad input is a 400 with the `AuditQueryError` code.
 */
export function createAuditController(options: AuditControllerOptions = {}): Type {
  @Controller(options.path ?? 'audit')
  class AuditController {
    constructor(@Inject(AuditQueryService) private readonly audit: AuditQueryService) {}

    @Get()
    @applyDecorators(...(options.decorators ?? []))
    async find(@Query() query: Record<string, unknown>): Promise<AuditQueryPage> {
      try {
        return await this.audit.find(filtersOf(query));
      } catch (error) {
        if (error instanceof AuditQueryError) throw new BadRequestException({ statusCode: 400, code: error.code, message: error.message });
        throw error;
      }
    }
  }
  return AuditController;
}

function filtersOf(query: Record<string, unknown>): Partial<AuditQueryFilters> {
  const filters: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(query)) {
    const filter = PARAMETERS[name as keyof typeof PARAMETERS];
    if (!filter) throw new AuditQueryError('AUDIT_INVALID_FILTER', `Unknown query parameter "${name}"; known: ${Object.keys(PARAMETERS).join(', ')}.`);
    if (typeof value !== 'string') throw new AuditQueryError('AUDIT_INVALID_FILTER', `Query parameter "${name}" must appear once.`);
    filters[filter] = filter === 'limit' && /^\d{1,4}$/.test(value) ? Number(value) : value;
  }
  return filters;
}
