import { Controller, Get, Injectable, Module, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContextModule, ContextService } from '@acme/nest-context';
import { HTTP_ADAPTERS, startHttpApp, type HttpTestApp } from '@acme/nest-testing';

/** Stands in for an auth/tenancy guard: names the actor and workspace from headers. */
@Injectable()
class FakeAuthGuard implements CanActivate {
  constructor(private readonly context: ContextService) {}

  canActivate(execution: ExecutionContext): boolean {
    const headers = execution.switchToHttp().getRequest().headers as Record<string, string | undefined>;
    this.context.update({
      workspaceId: headers['x-workspace'] ?? null,
      actor: { kind: 'User', id: headers['x-user'] ?? null },
    });
    return true;
  }
}

@Controller()
class ProbeController {
  constructor(private readonly context: ContextService) {}

  @Get()
  root() {
    return this.context.require();
  }

  @Get('slow')
  @UseGuards(FakeAuthGuard)
  async slow() {
    await sleep(Math.random() * 20);
    return this.context.require();
  }
}

@Module({
  imports: [ContextModule.forRoot()],
  controllers: [ProbeController],
  providers: [FakeAuthGuard],
})
class AppModule {}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe.each(HTTP_ADAPTERS)('HTTP request context on %s', (adapter) => {
  let http: HttpTestApp;
  beforeAll(async () => {
    http = await startHttpApp(AppModule, adapter);
  });
  afterAll(() => http.close());

  it('opens a context on the root route with a new UUIDv7 request id, echoed in the response', async () => {
    const response = await fetch(`${http.url}/`);
    const body = (await response.json()) as any;
    expect(body.requestId).toMatch(UUID_V7);
    expect(response.headers.get('x-request-id')).toBe(body.requestId);
    expect(body).toEqual({ requestId: body.requestId, workspaceId: null, actor: { kind: 'User', id: null } });
  });

  it('reuses a well-formed x-request-id and replaces a malicious one', async () => {
    const reused = await fetch(`${http.url}/`, { headers: { 'x-request-id': 'upstream-42' } });
    expect(((await reused.json()) as any).requestId).toBe('upstream-42');
    const replaced = await fetch(`${http.url}/`, { headers: { 'x-request-id': 'evil" injected' } });
    expect(((await replaced.json()) as any).requestId).toMatch(UUID_V7);
  });

  it('lets a guard set workspace and actor that the handler then sees, per request under concurrency', async () => {
    const responses = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const response = await fetch(`${http.url}/slow`, {
          headers: { 'x-request-id': `req-${i}`, 'x-workspace': `ws-${i % 4}`, 'x-user': `user-${i}` },
        });
        return response.json();
      }),
    );
    responses.forEach((body, i) => {
      expect(body).toEqual({ requestId: `req-${i}`, workspaceId: `ws-${i % 4}`, actor: { kind: 'User', id: `user-${i}` } });
    });
  });
});
