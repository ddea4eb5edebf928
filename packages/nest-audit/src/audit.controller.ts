import { applyDecorators, Controller, Get, Inject, Query, Req, StreamableFile, type Type } from '@nestjs/common';
import { Readable } from 'node:stream';
import { AuditQueryService } from './audit-query.service';
import type { AuditExportFilters } from './export/audit-export';
import { AUDIT_EXPORT_CONTENT_TYPES } from './export/audit-export-format';
import type { AuditQueryFilters, AuditQueryPage } from './query/audit-query';
import { AuditQueryError, InvalidAuditQueryException } from './query/audit-query.errors';

/** `AuditModule.forRoot({ ..., controller })`: mounts `GET /<path>` and `GET /<path>/export` over `AuditQueryService`. */
export interface AuditControllerOptions {
  /** @default 'audit' */
  path?: string;
  /**
   * Decorators for both routes: the authorization your app requires, e.g.
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

/**
 * Query parameters of `GET /<path>/export`: the filters, the format and where to resume. `limit`
 * and `cursor` are read to be refused with `AUDIT_INVALID_EXPORT_QUERY`, which names `after`.
 */
const EXPORT_PARAMETERS = new Set<string>([
  'actorId',
  'actorKind',
  'subject',
  'subjectId',
  'action',
  'status',
  'from',
  'to',
  'format',
  'after',
  'limit',
  'cursor',
] satisfies (Exclude<keyof AuditExportFilters, 'workspaceId'> | 'limit' | 'cursor')[]);

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
        return await this.audit.find(filtersOf(query, PARAMETERS));
      } catch (error) {
        if (error instanceof AuditQueryError) throw new InvalidAuditQueryException(error);
        throw error;
      }
    }

    /**
     * The current workspace's entries oldest first, streamed as NDJSON (the default) or CSV. The
     * status is sent once the first page was read: bad input, and a first query PostgreSQL
     * refuses, are a 400 like `GET /<path>`; a failure later cuts the response short (no
     * complete-looking end), and the client resumes with the last `cursor` as `after`.
     */
    @Get('export')
    @applyDecorators(...(options.decorators ?? []))
    async export(@Query() query: Record<string, unknown>, @Req() request: RawUrl): Promise<StreamableFile> {
      try {
        checkPercentEncoding(request);
        const filters = filtersOf(query, EXPORT_PARAMETERS);
        const format = (filters.format ?? 'ndjson') as AuditExportFilters['format'];
        const stream = await started(this.audit.export({ ...filters, format }));
        return new StreamableFile(stream, {
          type: AUDIT_EXPORT_CONTENT_TYPES[format],
          disposition: `attachment; filename="audit-export.${format}"`,
        });
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

/**
 * Waits for the export's first chunk (its first page, read from the database) before the route
 * answers, so an error there is still a status code; the stream then goes on from that chunk.
 */
async function started(stream: Readable): Promise<Readable> {
  const chunks = stream[Symbol.asyncIterator]();
  const first = await chunks.next();
  const rest = { [Symbol.asyncIterator]: () => chunks };
  // yield* hands the response's early close (return) on to the export, which stops reading.
  return Readable.from(
    (async function* () {
      if (!first.done) yield first.value as string;
      yield* rest;
    })(),
    { objectMode: false, encoding: 'utf8' },
  );
}

function filtersOf(query: Record<string, unknown>, parameters: Set<string>): Record<string, unknown> {
  const filters: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(query)) {
    // A Set, not an object: 'constructor' or 'toString' must not read Object.prototype.
    if (!parameters.has(name)) {
      const hint = parameters.has(camelCase(name)) ? ` Use "${camelCase(name)}": parameters are camelCase, like the entries' fields.` : '';
      const shown = JSON.stringify(name.length > 100 ? `${name.slice(0, 100)}...` : name);
      throw new AuditQueryError('AUDIT_INVALID_FILTER', `Unknown query parameter ${shown}; known: ${[...parameters].join(', ')}.${hint}`);
    }
    if (typeof value !== 'string') throw new AuditQueryError('AUDIT_INVALID_FILTER', `Query parameter "${name}" must appear once.`);
    filters[name] = name === 'limit' && /^\d{1,4}$/.test(value) ? Number(value) : value;
  }
  return filters;
}
