import { AcmeHttpException, ContextService, ContextModule } from '@acme/nest-context';
import { bearer, claimsFromBearer, HTTP_ADAPTERS, startHttpApp, type HttpTestApp } from '@acme/nest-testing';
import {
  Catch,
  Injectable,
  Module,
  SetMetadata,
  UseGuards,
  type ArgumentsHost,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD, HttpAdapterHost, Reflector } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditModule, AuditQueryError, AuditService } from '@acme/nest-audit';
import { createAuditFixture, type AuditFixture } from './support/audit-fixture';

const WS_A = '0190a0b2-0000-7000-8000-0000000000a0';
const WS_B = '0190a0b2-0000-7000-8000-0000000000b0';

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

const NEEDS_AUDITOR = 'needs-auditor';
/** What an app's authorization decorator does: the route says what it needs, a guard checks it. */
@Injectable()
class AuditorGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}
  canActivate(execution: ExecutionContext) {
    if (!this.reflector.get(NEEDS_AUDITOR, execution.getHandler())) return true;
    return claimsFromBearer(execution.switchToHttp().getRequest().headers.authorization)?.auditor === true;
  }
}

describe.each(HTTP_ADAPTERS)('mounted audit controller (%s)', (adapter) => {
  let fixture: AuditFixture;
  let http: HttpTestApp;
  const asA = bearer({ sub: 'u-a', workspace: WS_A, auditor: true });

  beforeAll(async () => {
    fixture = await createAuditFixture();
    @Module({
      imports: [
        ContextModule.forRoot(),
        AuditModule.forRootAsync({
          useFactory: () => ({ database: { pool: fixture.pool }, batch: { maxWaitMs: 1 } }),
          controller: { path: 'audit-log', decorators: [SetMetadata(NEEDS_AUDITOR, true), UseGuards(AuditorGuard)] },
        }),
      ],
      providers: [{ provide: APP_GUARD, useClass: ClaimsGuard }],
    })
    class AppModule {}
    http = await startHttpApp(AppModule, adapter);
    const audit = http.app.get(AuditService);
    const context = new ContextService();
    for (const [workspaceId, subject, count] of [
      [WS_A, 'Deal', 3],
      [WS_A, 'Company', 2],
      [WS_B, 'Deal', 4],
    ] as const) {
      await context.run({ workspaceId, actor: { kind: 'User', id: 'seed' } }, async () => {
        for (let i = 0; i < count; i++) audit.recordNow({ action: 'Update', subject, subjectId: `${subject}-${i}` });
      });
    }
    await audit.flush();
  });
  afterAll(async () => {
    await http?.close();
    await fixture?.close();
  });

  it('lists the current workspace’s entries only, newest first, with the filters and a cursor', async () => {
    const all = await http.request('GET', '/audit-log', { headers: asA });
    expect(all.status).toBe(200);
    expect(all.body.items).toHaveLength(5);
    expect(new Set(all.body.items.map((e: { workspaceId: string }) => e.workspaceId))).toEqual(new Set([WS_A]));
    const times = all.body.items.map((e: { occurredAt: string }) => e.occurredAt);
    expect(times).toEqual([...times].sort().reverse());

    const deals = await http.request('GET', '/audit-log?subject=Deal&limit=2', { headers: asA });
    expect(deals.body.items.map((e: { subject: string }) => e.subject)).toEqual(['Deal', 'Deal']);
    const rest = await http.request('GET', `/audit-log?subject=Deal&limit=2&cursor=${deals.body.nextCursor}`, { headers: asA });
    expect(rest.body.items).toHaveLength(1);
    expect(rest.body.nextCursor).toBeNull();
    const ids = [...deals.body.items, ...rest.body.items].map((e: { subjectId: string }) => e.subjectId).sort();
    expect(ids).toEqual(['Deal-0', 'Deal-1', 'Deal-2']);
  });

  it('takes no workspace from the caller: a workspace parameter is refused', async () => {
    for (const name of ['workspaceId', 'workspace_id']) {
      const response = await http.request('GET', `/audit-log?${name}=${WS_B}`, { headers: asA });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('AUDIT_INVALID_FILTER');
    }
  });

  it("query parameters are the camelCase names of the entries' fields and of AuditQueryService.find; the snake_case ones are refused, naming the right one", async () => {
    const found = await http.request('GET', '/audit-log?subjectId=Deal-1&actorId=seed&actorKind=User', { headers: asA });
    expect(found.status).toBe(200);
    expect(Object.keys(found.body).sort()).toEqual(['items', 'nextCursor']);
    expect(found.body.items.map((e: { subject: string; subjectId: string; actorId: string }) => [e.subject, e.subjectId, e.actorId])).toEqual([
      ['Deal', 'Deal-1', 'seed'],
    ]);
    expect(Object.keys(found.body.items[0])).toEqual(
      expect.arrayContaining(['occurredAt', 'workspaceId', 'actorKind', 'errorCode', 'requestId', 'userAgent', 'durationMs']),
    );
    for (const [name, camel] of [
      ['subject_id', 'subjectId'],
      ['actor_id', 'actorId'],
      ['actor_kind', 'actorKind'],
    ]) {
      const response = await http.request('GET', `/audit-log?${name}=x`, { headers: asA });
      expect({ status: response.status, code: response.body.code }).toEqual({ status: 400, code: 'AUDIT_INVALID_FILTER' });
      expect(response.body.message).toContain(`Use "${camel}"`);
    }
  });

  it('bad input is a 400 with a stable code, never a 500', async () => {
    for (const [query, code] of [
      ['limit=ten', 'AUDIT_INVALID_FILTER'],
      ['limit=0', 'AUDIT_INVALID_FILTER'],
      ['from=yesterday', 'AUDIT_INVALID_FILTER'],
      ['status=failed', 'AUDIT_INVALID_FILTER'],
      ['subject=Deal&subject=Company', 'AUDIT_INVALID_FILTER'],
      ['cursor=not-a-cursor', 'AUDIT_INVALID_CURSOR'],
    ]) {
      const response = await http.request('GET', `/audit-log?${query}`, { headers: asA });
      expect({ query, status: response.status, code: response.body.code }).toEqual({ query, status: 400, code });
    }
    const anonymous = await http.request('GET', '/audit-log', { headers: bearer({ sub: 'u', auditor: true }) });
    expect(anonymous.status).toBe(400);
    expect(anonymous.body.code).toBe('AUDIT_WORKSPACE_REQUIRED');
  });

  it('hostile values are a 400 with a stable code, never a 500', async () => {
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const parameters = ['subject', 'action', 'subjectId', 'actorId', 'actorKind', 'status', 'from', 'to', 'limit', 'cursor'];
    const corpus: [query: string, code: string][] = [
      // NUL in any filter, alone, inside, or as the overlong %C0%80; encoded lone surrogates and broken escapes.
      ...parameters.flatMap((p): [string, string][] => [
        [`${p}=%00`, 'AUDIT_INVALID_CHARACTERS'],
        [`${p}=Deal%00`, 'AUDIT_INVALID_CHARACTERS'],
        [`${p === 'subject' ? 'action' : 'subject'}=Deal&${p}=a%00b`, 'AUDIT_INVALID_CHARACTERS'],
        [`${p}=%C0%80`, 'AUDIT_INVALID_CHARACTERS'],
        [`${p}=%ED%A0%80`, 'AUDIT_INVALID_CHARACTERS'],
        [`${p}=%ED%B0%80x`, 'AUDIT_INVALID_CHARACTERS'],
        [`${p}=%FF`, 'AUDIT_INVALID_CHARACTERS'],
        [`${p}=%zz`, 'AUDIT_INVALID_CHARACTERS'],
      ]),
      [`cursor=${b64(['2026-01-01T00:00:00.000000Z\u0000', '0190a0b2-0000-7000-8000-000000000001'])}`, 'AUDIT_INVALID_CURSOR'],
      // Absurd lengths (under the 16 KB a request line may have) and ids that are no UUID.
      [`subjectId=${'9'.repeat(5_000)}`, 'AUDIT_INVALID_FILTER'],
      [`actorId=${'a'.repeat(1_001)}`, 'AUDIT_INVALID_FILTER'],
      [`subject=${'%F0%9F%98%80'.repeat(600)}`, 'AUDIT_INVALID_FILTER'],
      [`cursor=${'A'.repeat(5_000)}`, 'AUDIT_INVALID_CURSOR'],
      // Dates JavaScript reads and PostgreSQL does not.
      ['from=99999', 'AUDIT_INVALID_FILTER'],
      ['from=-000001-01-01T00:00:00Z', 'AUDIT_INVALID_FILTER'],
      ['to=%2B275760-09-13T00:00:00Z', 'AUDIT_INVALID_FILTER'],
      [`cursor=${b64(['2026-02-30T00:00:00.000000Z', '0190a0b2-0000-7000-8000-000000000001'])}`, 'AUDIT_INVALID_CURSOR'],
      [`cursor=${b64(['0000-01-01T00:00:00.000000Z', '0190a0b2-0000-7000-8000-000000000001'])}`, 'AUDIT_INVALID_CURSOR'],
      [`cursor=${b64(['2026-01-01T24:00:00.000000Z', '0190a0b2-0000-7000-8000-000000000001'])}`, 'AUDIT_INVALID_CURSOR'],
      // Shapes: repeated, nested, inherited or NUL names.
      ['subject[]=x', 'AUDIT_INVALID_FILTER'],
      ['subject[a]=x', 'AUDIT_INVALID_FILTER'],
      ['constructor=x', 'AUDIT_INVALID_FILTER'],
      ['__proto__=x', 'AUDIT_INVALID_FILTER'],
      ['%00=x', 'AUDIT_INVALID_FILTER'],
      ['limit=-1', 'AUDIT_INVALID_FILTER'],
      ['limit=1e3', 'AUDIT_INVALID_FILTER'],
    ];
    const answers = [];
    for (const [query] of corpus) {
      const response = await http.request('GET', `/audit-log?${query}`, { headers: asA });
      answers.push({ query: query.slice(0, 60), status: response.status, code: response.body?.code });
    }
    expect(answers).toEqual(corpus.map(([query, code]) => ({ query: query.slice(0, 60), status: 400, code })));

    // A request line past the server's limit is refused by the platform itself.
    expect((await http.request('GET', `/audit-log?subjectId=${'9'.repeat(20_000)}`, { headers: asA })).status).toBe(431);
    // Odd but valid input is a normal (empty) page.
    for (const query of [
      'subject=%F0%9F%98%80',
      `subjectId=${'9'.repeat(1_000)}`,
      'action=%E2%80%AE',
      'from=0001-01-01T00:00:00Z&to=9999-12-31T00:00:00Z&subject=x',
    ]) {
      const response = await http.request('GET', `/audit-log?${query}`, { headers: asA });
      expect({ query: query.slice(0, 40), status: response.status, items: response.body.items }).toEqual({ query: query.slice(0, 40), status: 200, items: [] });
    }
  });

  it('applies the decorators it was given', async () => {
    const response = await http.request('GET', '/audit-log', { headers: bearer({ sub: 'u-a', workspace: WS_A, auditor: false }) });
    expect(response.status).toBe(403);
  });
});

describe('without the controller option', () => {
  it('mounts no route', async () => {
    const fixture = await createAuditFixture();
    @Module({ imports: [ContextModule.forRoot(), AuditModule.forRoot({ database: { pool: fixture.pool } })] })
    class AppModule {}
    const http = await startHttpApp(AppModule, 'express');
    try {
      expect((await http.request('GET', '/audit')).status).toBe(404);
    } finally {
      await http.close();
      await fixture.close();
    }
  });
});

/** An app's one filter for every @acme HTTP error: it answers with the body and says who caught it. */
@Catch(AcmeHttpException)
class AcmeErrorsFilter implements ExceptionFilter {
  constructor(private readonly adapter: HttpAdapterHost) {}
  catch(exception: AcmeHttpException, host: ArgumentsHost) {
    const body = { ...(exception.getResponse() as object), caughtAs: 'AcmeHttpException', cause: (exception.cause as Error | undefined)?.name };
    this.adapter.httpAdapter.reply(host.switchToHttp().getResponse(), body, exception.getStatus());
  }
}

describe.each(HTTP_ADAPTERS)('refusals of the mounted route (%s)', (adapter) => {
  it("are AcmeHttpExceptions like every @acme HTTP error (the app's filter for them catches them), with the AuditQueryError as cause", async () => {
    const fixture = await createAuditFixture();
    @Module({
      imports: [ContextModule.forRoot(), AuditModule.forRoot({ database: { pool: fixture.pool }, controller: {} })],
      providers: [{ provide: APP_FILTER, useClass: AcmeErrorsFilter }],
    })
    class AppModule {}
    const http = await startHttpApp(AppModule, adapter);
    try {
      const response = await http.request('GET', '/audit?subject=Deal'); // no workspace in the context
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ statusCode: 400, code: 'AUDIT_WORKSPACE_REQUIRED', caughtAs: 'AcmeHttpException', cause: AuditQueryError.name });
      expect(response.body.message).toMatch(/needs a workspaceId/);
    } finally {
      await http.close();
      await fixture.close();
    }
  });
});
