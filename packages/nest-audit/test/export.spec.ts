import { ContextModule, ContextService } from '@acme/nest-context';
import { createTestDatabase, type TestDatabase, bearer, claimsFromBearer, HTTP_ADAPTERS, startHttpApp, type HttpTestApp } from '@acme/nest-testing';
import { Injectable, Module, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Readable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditExport, AuditModule, AuditQueryError, type AuditExportFilters } from '@acme/nest-audit';
import { migrateAudit } from '../src/storage/audit-migration';
import { createAuditFixture, type AuditFixture } from './support/audit-fixture';
import { insertAuditRows, testUuid, type StorageTestRow } from './support/storage-rows';

const WS_A = '0190a0b2-0000-7000-8000-0000000000a1';
const WS_B = '0190a0b2-0000-7000-8000-0000000000b2';
const BASE = Date.parse('2026-11-20T00:00:00Z');

/** What a spreadsheet would run: every cell value a CSV export must neutralize. */
const FORMULAS = ['=1+1', '+SUM(A1)', '-2+3', '@cmd', '\tline', '\r=x', '=HYPERLINK("http://evil","x")'];

async function text(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += chunk;
  return out;
}

/** RFC 4180 parser (quoted cells, doubled quotes, CRLF), for reading exports back. */
function parseCsv(input: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const endCell = () => {
    row.push(cell);
    cell = '';
  };
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') endCell();
    else if (c === '\r' && input[i + 1] === '\n') {
      endCell();
      rows.push(row);
      row = [];
      i++;
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) {
    endCell();
    rows.push(row);
  }
  return rows;
}

describe('AuditExport (PostgreSQL 17)', () => {
  let fixture: AuditFixture;
  let exporter: AuditExport;
  const rowsOf: StorageTestRow[] = [];

  beforeAll(async () => {
    fixture = await createAuditFixture();
    // 2,500 entries of A (ids in an order unrelated to time; 40 share one instant), 300 of B.
    for (let n = 0; n < 2_800; n++) {
      const workspaceId = n < 2_500 ? WS_A : WS_B;
      rowsOf.push({
        id: testUuid(n, ((n * 7919) % 65_536).toString(16).padStart(8, '0')),
        occurredAt: n < 40 ? new Date(BASE) : new Date(BASE + ((n * 104_729) % 2_000_000) * 1000),
        workspaceId,
        subject: n % 3 === 0 ? 'Company' : 'Deal',
        actorId: FORMULAS[n % FORMULAS.length],
        metadata: { n, note: n % 10 === 0 ? 'comma, "quote"\r\nnewline' : 'plain', formula: '=cmd|" /C calc"!A0' },
      });
    }
    await insertAuditRows(fixture.pool, rowsOf);
    exporter = new AuditExport(fixture.pool, { pageSize: 300 });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  const expectedIds = (filter: (row: StorageTestRow) => boolean) =>
    rowsOf
      .filter(filter)
      .sort((a, b) => (a.occurredAt as Date).getTime() - (b.occurredAt as Date).getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((row) => row.id);

  it('streams NDJSON: every entry of the workspace once, oldest first (ties by id), each line with its cursor', async () => {
    const lines = (await text(exporter.stream({ workspaceId: WS_A, format: 'ndjson' }))).split('\n');
    expect(lines.pop()).toBe('');
    const entries = lines.map((line) => JSON.parse(line));
    expect(entries.map((e) => e.id)).toEqual(expectedIds((row) => row.workspaceId === WS_A));
    expect(new Set(entries.map((e) => e.workspaceId))).toEqual(new Set([WS_A]));
    expect(Object.keys(entries[0])).toEqual([
      'id',
      'occurredAt',
      'workspaceId',
      'actorKind',
      'actorId',
      'action',
      'subject',
      'subjectId',
      'status',
      'errorCode',
      'errorMessage',
      'requestId',
      'ip',
      'userAgent',
      'durationMs',
      'metadata',
      'changes',
      'cursor',
    ]);
    expect(entries.every((e) => typeof e.cursor === 'string' && e.cursor.length > 0)).toBe(true);
  });

  it('resumes after any line: with its cursor as "after", the rest and nothing else', async () => {
    const all = (await text(exporter.stream({ workspaceId: WS_A, format: 'ndjson', subject: 'Deal' })))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(all.map((e) => e.id)).toEqual(expectedIds((row) => row.workspaceId === WS_A && row.subject === 'Deal'));
    for (const at of [0, 17, 299, 300, 1_000, all.length - 1]) {
      const rest = (await text(exporter.stream({ workspaceId: WS_A, format: 'ndjson', subject: 'Deal', after: all[at].cursor })))
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line).id);
      expect({ at, rest }).toEqual({ at, rest: all.slice(at + 1).map((e) => e.id) });
    }
  });

  it('applies the filters of find: subject, from (inclusive), to (exclusive)', async () => {
    const from = new Date(BASE + 500_000_000);
    const to = new Date(BASE + 1_500_000_000);
    const ids = (await text(exporter.stream({ workspaceId: WS_A, format: 'ndjson', subject: 'Company', from, to: to.toISOString() })))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).id);
    const inRange = (row: StorageTestRow) => (row.occurredAt as Date) >= from && (row.occurredAt as Date) < to;
    expect(ids).toEqual(expectedIds((row) => row.workspaceId === WS_A && row.subject === 'Company' && inRange(row)));
    expect(ids.length).toBeGreaterThan(100);
  });

  it('streams CSV (RFC 4180): a header, one row per entry, quoting that reads back, and resumption by the cursor column', async () => {
    const csv = await text(exporter.stream({ workspaceId: WS_B, format: 'csv' }));
    const [header, ...rows] = parseCsv(csv);
    expect(header).toEqual(expect.arrayContaining(['id', 'occurredAt', 'metadata', 'cursor']));
    expect(header!.at(-1)).toBe('cursor');
    const column = (name: string) => header!.indexOf(name);
    expect(rows.map((row) => row[column('id')])).toEqual(expectedIds((row) => row.workspaceId === WS_B));
    expect(rows.every((row) => row.length === header!.length)).toBe(true);
    const noted = rows.find((row) => JSON.parse(row[column('metadata')]!).note !== 'plain')!;
    expect(JSON.parse(noted[column('metadata')]!).note).toBe('comma, "quote"\r\nnewline');

    const rest = parseCsv(await text(exporter.stream({ workspaceId: WS_B, format: 'csv', after: rows[99]![column('cursor')] })));
    expect(rest.slice(1).map((row) => row[column('id')])).toEqual(rows.slice(100).map((row) => row[column('id')]));
  });

  it('neutralizes formulas in CSV: a cell starting with = + - @ TAB or CR gets a leading quote', async () => {
    const [header, ...rows] = parseCsv(await text(exporter.stream({ workspaceId: WS_B, format: 'csv' })));
    const actors = new Set(rows.map((row) => row[header!.indexOf('actorId')]));
    expect(actors).toEqual(new Set(FORMULAS.map((formula) => `'${formula}`)));
    for (const row of rows) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    // The NDJSON export keeps values as they are (JSON is not evaluated).
    const first = JSON.parse((await text(exporter.stream({ workspaceId: WS_B, format: 'ndjson' }))).split('\n')[0]!);
    expect(FORMULAS).toContain(first.actorId);
  });

  it('an empty result is an empty NDJSON body, or a CSV header only', async () => {
    expect(await text(exporter.stream({ workspaceId: WS_A, format: 'ndjson', subject: 'Nothing' }))).toBe('');
    expect(parseCsv(await text(exporter.stream({ workspaceId: WS_A, format: 'csv', subject: 'Nothing' })))).toHaveLength(1);
  });

  it('refuses bad input with an AuditQueryError code before returning a stream, never a database error', async () => {
    const code = (filters: unknown) => {
      try {
        exporter.stream(filters as AuditExportFilters);
        return 'returned a stream';
      } catch (error) {
        return error instanceof AuditQueryError ? error.code : `not an AuditQueryError: ${String(error)}`;
      }
    };
    expect(() => new AuditExport(fixture.pool, { pageSize: 0 })).toThrow(expect.objectContaining({ code: 'AUDIT_INVALID_EXPORT_QUERY' }));
    expect(code({ format: 'ndjson' })).toBe('AUDIT_WORKSPACE_REQUIRED');
    expect(code(null)).toBe('AUDIT_WORKSPACE_REQUIRED');
    expect(code({ workspaceId: WS_A })).toBe('AUDIT_INVALID_EXPORT_QUERY');
    expect(code({ workspaceId: WS_A, format: 'xlsx' })).toBe('AUDIT_INVALID_EXPORT_QUERY');
    expect(code({ workspaceId: WS_A, format: 'ndjson', limit: 10 })).toBe('AUDIT_INVALID_EXPORT_QUERY');
    expect(code({ workspaceId: WS_A, format: 'ndjson', cursor: 'x' })).toBe('AUDIT_INVALID_EXPORT_QUERY');
    expect(code({ workspaceId: WS_A, format: 'ndjson', after: 'not-a-cursor' })).toBe('AUDIT_INVALID_CURSOR');
    expect(code({ workspaceId: WS_A, format: 'ndjson', after: 42 })).toBe('AUDIT_INVALID_CURSOR');
    expect(code({ workspaceId: 'nope', format: 'ndjson' })).toBe('AUDIT_INVALID_FILTER');
    expect(code({ workspaceId: WS_A, format: 'ndjson', from: 'yesterday' })).toBe('AUDIT_INVALID_FILTER');
    expect(code({ workspaceId: WS_A, format: 'ndjson', status: 'failed' })).toBe('AUDIT_INVALID_FILTER');
    expect(code({ workspaceId: WS_A, format: 'ndjson', subject: 'x'.repeat(1_001) })).toBe('AUDIT_INVALID_FILTER');
    for (const name of ['subject', 'format', 'after', 'actorId'] as const) {
      expect(code({ workspaceId: WS_A, format: 'ndjson', [name]: 'a\u0000b' })).toBe('AUDIT_INVALID_CHARACTERS');
      expect(code({ workspaceId: WS_A, format: 'ndjson', [name]: '\uD800' })).toBe('AUDIT_INVALID_CHARACTERS');
    }
  });
});

/** Stand-in authentication: the bearer claims name the workspace and the actor. */
@Injectable()
class ClaimsGuard implements CanActivate {
  constructor(private readonly context: ContextService) {}
  canActivate(execution: ExecutionContext) {
    const claims = claimsFromBearer(execution.switchToHttp().getRequest().headers.authorization);
    if (claims) this.context.update({ workspaceId: claims.workspace as string, actor: { kind: 'User', id: claims.sub as string } });
    return true;
  }
}

describe.each(HTTP_ADAPTERS)('GET /audit/export (%s)', (adapter) => {
  let fixture: AuditFixture;
  let http: HttpTestApp;
  const asA = bearer({ sub: 'u-a', workspace: WS_A });

  beforeAll(async () => {
    fixture = await createAuditFixture();
    const rows: StorageTestRow[] = [];
    for (let n = 0; n < 1_200; n++) {
      rows.push({ id: testUuid(n), occurredAt: new Date(BASE + n * 1000), workspaceId: n % 4 === 3 ? WS_B : WS_A, actorId: n % 2 ? '=1+1' : 'u' });
    }
    await insertAuditRows(fixture.pool, rows);
    @Module({
      imports: [ContextModule.forRoot(), AuditModule.forRoot({ database: { pool: fixture.pool }, controller: {} })],
      providers: [{ provide: APP_GUARD, useClass: ClaimsGuard }],
    })
    class AppModule {}
    http = await startHttpApp(AppModule, adapter);
  });
  afterAll(async () => {
    await http?.close();
    await fixture?.close();
  });

  it('streams the current workspace’s entries as NDJSON by default, oldest first, resumable with after', async () => {
    const response = await fetch(`${http.url}/audit/export`, { headers: asA });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="audit-export.ndjson"');
    const entries = (await response.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(entries).toHaveLength(900);
    expect(new Set(entries.map((e) => e.workspaceId))).toEqual(new Set([WS_A]));
    expect(entries.map((e) => e.occurredAt)).toEqual(entries.map((e) => e.occurredAt).sort());

    const rest = await fetch(`${http.url}/audit/export?format=ndjson&after=${entries[449].cursor}`, { headers: asA });
    const restIds = (await rest.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).id);
    expect(restIds).toEqual(entries.slice(450).map((e) => e.id));
  });

  it('streams CSV with the formula guard', async () => {
    const response = await fetch(`${http.url}/audit/export?format=csv&from=${new Date(BASE).toISOString()}`, { headers: asA });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    const [header, ...rows] = parseCsv(await response.text());
    expect(rows).toHaveLength(900);
    expect(new Set(rows.map((row) => row[header!.indexOf('actorId')]))).toEqual(new Set(["'=1+1", 'u']));
  });

  it('bad input is a 400 with the codes of GET /audit, never a 500', async () => {
    for (const [query, code] of [
      ['format=xlsx', 'AUDIT_INVALID_EXPORT_QUERY'],
      ['limit=10', 'AUDIT_INVALID_EXPORT_QUERY'],
      ['cursor=abc', 'AUDIT_INVALID_EXPORT_QUERY'],
      ['after=not-a-cursor', 'AUDIT_INVALID_CURSOR'],
      ['workspaceId=' + WS_B, 'AUDIT_INVALID_FILTER'],
      ['subject=Deal&subject=Company', 'AUDIT_INVALID_FILTER'],
      ['from=yesterday', 'AUDIT_INVALID_FILTER'],
      ['subject_id=x', 'AUDIT_INVALID_FILTER'],
      ['subject=%00', 'AUDIT_INVALID_CHARACTERS'],
      ['format=csv%00', 'AUDIT_INVALID_CHARACTERS'],
      ['after=%ED%A0%80', 'AUDIT_INVALID_CHARACTERS'],
      ['subject=%zz', 'AUDIT_INVALID_CHARACTERS'],
      ['to=%2B275760-09-13T00:00:00Z', 'AUDIT_INVALID_FILTER'],
      ['__proto__=x', 'AUDIT_INVALID_FILTER'],
    ]) {
      const response = await http.request('GET', `/audit/export?${query}`, { headers: asA });
      expect({ query, status: response.status, code: response.body?.code }).toEqual({ query, status: 400, code });
    }
    const anonymous = await http.request('GET', '/audit/export');
    expect({ status: anonymous.status, code: anonymous.body?.code }).toEqual({ status: 400, code: 'AUDIT_WORKSPACE_REQUIRED' });
  });
});

describe('AuditExport on a TimescaleDB hypertable', () => {
  let database: TestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    database = await createTestDatabase({ server: 'timescale', prefix: 'audit_export_ts' });
    pool = new pg.Pool({ connectionString: database.url, max: 1, idleTimeoutMillis: 100 }); // PGlite serves one connection
    await migrateAudit(pool, { timescale: true, chunkInterval: '1 day' });
    const rows: StorageTestRow[] = [];
    for (let n = 0; n < 700; n++) rows.push({ id: testUuid(n), occurredAt: new Date(BASE + n * 600_000), workspaceId: n % 7 === 0 ? WS_B : WS_A });
    // Small statements: the embedded (wasm) TimescaleDB fails on one insert of hundreds of rows.
    for (let start = 0; start < rows.length; start += 100) await insertAuditRows(pool, rows.slice(start, start + 100));
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('streams across chunks oldest first and resumes after any line', async () => {
    const exporter = new AuditExport(pool, { pageSize: 128 });
    const entries = (await text(exporter.stream({ workspaceId: WS_A, format: 'ndjson' })))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(entries).toHaveLength(600);
    expect(entries.map((e) => e.occurredAt)).toEqual(entries.map((e) => e.occurredAt).sort());
    const rest = (await text(exporter.stream({ workspaceId: WS_A, format: 'csv', after: entries[299].cursor }))).trim().split('\r\n');
    expect(rest).toHaveLength(301);
  });
});

describe.each(HTTP_ADAPTERS)('GET /audit/export when the database fails (%s)', (adapter) => {
  let fixture: AuditFixture;
  let http: HttpTestApp;
  /** Which export page query fails (1 = the first), and how. */
  let failing: { page: number; error: Error & { code?: string } } | undefined;
  let pages = 0;
  const asA = bearer({ sub: 'u-a', workspace: WS_A });

  beforeAll(async () => {
    fixture = await createAuditFixture();
    const rows: StorageTestRow[] = [];
    for (let n = 0; n < 2_500; n++) rows.push({ id: testUuid(n), occurredAt: new Date(BASE + n * 1000), workspaceId: WS_A });
    await insertAuditRows(fixture.pool, rows);
    const pool = new Proxy(fixture.pool, {
      get(target, property, receiver) {
        if (property !== 'query') return Reflect.get(target, property, receiver);
        return (text: unknown, ...rest: unknown[]) => {
          if (typeof text === 'string' && text.includes('ORDER BY "occurred_at", "id"') && failing && ++pages === failing.page) {
            return Promise.reject(failing.error);
          }
          return (target.query as (...args: unknown[]) => unknown)(text, ...rest);
        };
      },
    });
    @Module({
      imports: [ContextModule.forRoot(), AuditModule.forRoot({ database: { pool }, controller: {} })],
      providers: [{ provide: APP_GUARD, useClass: ClaimsGuard }],
    })
    class AppModule {}
    http = await startHttpApp(AppModule, adapter);
  });
  afterAll(async () => {
    await http?.close();
    await fixture?.close();
  });
  const failOn = (page: number, error: Error & { code?: string }) => {
    failing = { page, error };
    pages = 0;
  };

  it('a failure after the first page cuts the response short: the client sees an error, never a complete-looking end', async () => {
    failOn(2, new Error('connection terminated'));
    const response = await fetch(`${http.url}/audit/export`, { headers: asA });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let received = '';
    const outcome = await (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return 'ended';
        received += Buffer.from(value).toString('utf8');
      }
    })().catch(() => 'errored');
    expect(outcome).toBe('errored');
    // What arrived is whole lines up to the failure, and resumable from the last cursor.
    const lines = received.split('\n').filter((line) => line.endsWith('}'));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    failing = undefined;
    const rest = await fetch(`${http.url}/audit/export?after=${JSON.parse(lines.at(-1)!).cursor}`, { headers: asA });
    expect((await rest.text()).trim().split('\n')).toHaveLength(2_500 - lines.length);
  });

  it('a first page PostgreSQL refuses as a bad value is a 400; another failure there is a 500, before any 200', async () => {
    failOn(1, Object.assign(new Error('invalid input syntax for type timestamp with time zone'), { code: '22007' }));
    const refused = await http.request('GET', '/audit/export?format=csv', { headers: asA });
    expect({ status: refused.status, code: refused.body?.code }).toEqual({ status: 400, code: 'AUDIT_INVALID_FILTER' });
    failOn(1, new Error('connection terminated'));
    expect((await http.request('GET', '/audit/export', { headers: asA })).status).toBe(500);
    failing = undefined;
  });
});
