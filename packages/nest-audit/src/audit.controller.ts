import { applyDecorators, Controller, Get, Inject, Query, Req, type Type } from '@nestjs/common';
import { AuditQueryService } from './audit-query.service';
import type { AuditQueryFilters, AuditQueryPage } from './query/audit-query';
import { AuditQueryError, InvalidAuditQueryException } from './query/audit-query.errors';

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

/**
 * Query parameters of the mounted route: the filters of `AuditQueryService.find`, by the same
 * (camelCase) names, like the fields of the entries it returns. Never `workspaceId`.
 */
const PARAMETERS = new Set<string>(['actorId', 'actorKind', 'subject', 'subjectId', 'action', 'status', 'from', 'to', 'limit', 'cursor'] satisfies Exclude<
  keyof AuditQueryFilters,
  'workspaceId'
>[]);

/** `subject_id` -> `subjectId`: the hint for a caller still using the snake_case names of earlier versions. */
const camelCase = (name: string): string => name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());

/**
 * The audit log of the current workspace (never another: there is no workspace parameter),
 * newest first, keyset-paginated. Bad input is a 400 with the `AuditQueryError` code
 * (`InvalidAuditQueryException`).
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
        if (error instanceof AuditQueryError) throw new InvalidAuditQueryException(error);
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
      throw new AuditQueryError(
        'AUDIT_INVALID_CHARACTERS',
        'The query string is not valid percent-encoded UTF-8: encode every parameter with encodeURIComponent (or URLSearchParams).',
      );
    }
  }
}

function filtersOf(query: Record<string, unknown>): Partial<AuditQueryFilters> {
  const filters: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(query)) {
    // A Set, not an object: 'constructor' or 'toString' must not read Object.prototype.
    if (!PARAMETERS.has(name)) {
      const hint = PARAMETERS.has(camelCase(name)) ? ` Use "${camelCase(name)}": parameters are camelCase, like the entries' fields.` : '';
      const shown = JSON.stringify(name.length > 100 ? `${name.slice(0, 100)}...` : name);
      throw new AuditQueryError('AUDIT_INVALID_FILTER', `Unknown query parameter ${shown}; known: ${[...PARAMETERS].join(', ')}.${hint}`);
    }
    if (typeof value !== 'string') throw new AuditQueryError('AUDIT_INVALID_FILTER', `Query parameter "${name}" must appear once.`);
    filters[name] = name === 'limit' && /^\d{1,4}$/.test(value) ? Number(value) : value;
  }
  return filters;
}
