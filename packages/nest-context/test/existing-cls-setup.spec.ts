import { Controller, Get, Module } from '@nestjs/common';
import { ClsModule, ClsService } from 'nestjs-cls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContextModule, ContextService } from '@acme/nest-context';
import { HTTP_ADAPTERS, startHttpApp, type HttpTestApp } from '@acme/nest-testing';

@Controller()
class ProbeController {
  constructor(
    private readonly context: ContextService,
    private readonly cls: ClsService,
  ) {}

  @Get()
  root() {
    return { context: this.context.require(), tenantFromApp: this.cls.get('tenantFromApp'), clsId: this.cls.getId() };
  }
}

/** An app that configured nestjs-cls itself before adopting the suite. */
@Module({
  imports: [
    ClsModule.forRoot({
      global: true,
      middleware: {
        mount: true,
        generateId: true,
        idGenerator: () => 'cls-own-id',
        setup: (cls) => cls.set('tenantFromApp', 'acme'),
      },
    }),
    ContextModule.forRoot(),
    // A second import (as another suite package might do) must not open a second context.
    ContextModule.forRoot(),
  ],
  controllers: [ProbeController],
})
class AppWithOwnCls {}

describe.each(HTTP_ADAPTERS)('an app that already configured nestjs-cls (%s)', (adapter) => {
  let http: HttpTestApp;
  beforeAll(async () => {
    http = await startHttpApp(AppWithOwnCls, adapter);
  });
  afterAll(() => http.close());

  it("keeps the app's own CLS values and id, and adds the request context beside them", async () => {
    const response = await fetch(http.url, { headers: { 'x-request-id': 'req-own' } });
    const body = (await response.json()) as any;
    expect(body.tenantFromApp).toBe('acme');
    expect(body.clsId).toBe('cls-own-id');
    expect(body.context).toEqual({ requestId: 'req-own', workspaceId: null, actor: { kind: 'User', id: null } });
  });
});
