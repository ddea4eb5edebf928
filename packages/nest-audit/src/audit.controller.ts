import { applyDecorators, BadRequestException, Controller, Get, Inject, Query, Req, type Type } from '@nestjs/common';
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
    async find(@Query() query: Record<string, unknown>, @Req() request: RawUrl): Promise<AuditQueryPage> {
      try {
        checkPercentEncoding(request);
        return await this.audit.find(filtersOf(query));
      } catch (error) {
        if (error instanceof AuditQueryError) throw new BadRequestException({ statusCode: 400, code: error.code, message: error.message });
        throw error;
      }
    }
  }
  return AuditController;
}

/** What the route reads of the platform's request: Express' `originalUrl`, Fastify's `url` (both as sent). */
interface RawUrl {
  originalUrl?: string;
  url?: string;
}

/**
 * Refuses a query string that is not percent-encoded UTF-8 (`%zz`, `%FF`, an encoded lone
 * surrogate `%ED%A0%80`): both platforms' parsers then keep the raw text, and the query would
 * search for something the caller never wrote.
 */
function checkPercentEncoding(request: RawUrl): void {
  const url = request.originalUrl ?? request.url ?? '';
  const search = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  for (const part of search.split('&')) {
    try {
      decodeURIComponent(part.replaceAll('+', ' '));
    } catch {
      throw new AuditQueryError('AUDIT_INVALID_CHARACTERS', 'The query string is not valid percent-encoded UTF-8: encode every parameter with encodeURIComponent (or URLSearchParams).');
    }
  }
}

function filtersOf(query: Record<string, unknown>): Partial<AuditQueryFilters> {
  const filters: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(query)) {
    // Own keys only: 'constructor' or 'toString' must not read Object.prototype.
    const filter = Object.hasOwn(PARAMETERS, name) ? PARAMETERS[name as keyof typeof PARAMETERS] : undefined;
    if (!filter) throw new AuditQueryError('AUDIT_INVALID_FILTER', `Unknown query parameter ${JSON.stringify(name.length > 100 ? `${name.slice(0, 100)}...` : name)}; known: ${Object.keys(PARAMETERS).join(', ')}.`);
    if (typeof value !== 'string') throw new AuditQueryError('AUDIT_INVALID_FILTER', `Query parameter "${name}" must appear once.`);
    filters[filter] = filter === 'limit' && /^\d{1,4}$/.test(value) ? Number(value) : value;
  }
  return filters;
}
