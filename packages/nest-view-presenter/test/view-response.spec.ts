import { Body, Controller, Get, Module, Param, Post } from '@nestjs/common';
import { z } from 'zod';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Page, ViewPresenterModule, ViewResponse, type ViewContractViolation } from '@acme/nest-view-presenter';
import { DealPresenter, DealView, dealRow, LastActivityView } from './support/deals.fixture';
import { HTTP_ADAPTERS, startHttpApp, type HttpTestApp } from '@acme/nest-testing';
import { CapturingLogger } from './support/capturing-logger';

const violations: ViewContractViolation[] = [];

@Controller('deals')
class DealsController {
  @Get()
  @ViewResponse(Page(DealView))
  list() {
    // A careless handler: rows spread into views leak internal columns, at both levels.
    const page = DealPresenter.toPage([dealRow(1), dealRow(2)], { total: '12', next_cursor: 'cursor-2' });
    return { ...page, debug: true, items: page.items.map((item, i) => ({ ...item, password_hash: 'secret', owner: { ...item.owner, email: `u${i}@x.io` } })) };
  }

  @Get('broken')
  @ViewResponse(DealView)
  broken() {
    // A presenter bug: the Postgres count string was never normalised.
    return { ...DealPresenter.toView(dealRow(3)), contact_count: '3' as unknown as number };
  }

  @Get('broken-logged')
  @ViewResponse(DealView, { mode: 'log' })
  brokenLogged() {
    return { ...DealPresenter.toView(dealRow(3)), contact_count: '3' as unknown as number, password_hash: 'secret' };
  }

  @Get('broken-unsampled')
  @ViewResponse(DealView, { sampleRate: 0 })
  brokenUnsampled() {
    return { ...DealPresenter.toView(dealRow(3)), contact_count: '3' as unknown as number, password_hash: 'secret' };
  }

  @Get('off')
  @ViewResponse(DealView, { mode: 'off' })
  off() {
    return { ...DealPresenter.toView(dealRow(1)), password_hash: 'secret' };
  }

  @Get('activity/:id')
  @ViewResponse(LastActivityView)
  activity(@Param('id') id: string) {
    return id === 'none' ? { kind: 'None' as const } : { kind: 'Email Sent' as const, at: '2026-02-01T00:00:00.000Z', label: 'Email to Ada', extra: 1 };
  }

  @Get(':id')
  @ViewResponse(DealView)
  show(@Param('id') id: string) {
    // Defaults fill in: a handler may omit a count (its schema input), the client still gets 0.
    const { contact_count: _omitted, ...view } = DealPresenter.toView(dealRow(Number(id)));
    return view;
  }

  @Post()
  @ViewResponse(DealView)
  create(@Body() body: { title: string }) {
    return DealPresenter.toView(dealRow(9, { title: body.title }));
  }
}

@Module({
  imports: [ViewPresenterModule.forRoot({ onViolation: (violation) => violations.push(violation) })],
  controllers: [DealsController],
})
class AppModule {}

describe.each(HTTP_ADAPTERS)('@ViewResponse on %s', (adapter) => {
  let http: HttpTestApp;
  const logger = new CapturingLogger();
  beforeAll(async () => {
    http = await startHttpApp(AppModule, adapter, { logger });
  });
  afterAll(() => http.close());
  beforeEach(() => {
    violations.length = 0;
    logger.errors.length = 0;
  });
  const get = async (path: string) => {
    const response = await fetch(`${http.url}${path}`);
    return { status: response.status, body: (await response.json()) as any };
  };

  it('sends a valid Page and strips unknown fields at every level', async () => {
    const { status, body } = await get('/deals');
    expect(status).toBe(200);
    expect(body).toEqual({ items: [DealPresenter.toView(dealRow(1)), DealPresenter.toView(dealRow(2))], total: 12, next_cursor: 'cursor-2' });
    expect(JSON.stringify(body)).not.toMatch(/password_hash|email|debug/);
    expect(body.items[0]).toMatchObject({ contact_count: 1, last_activity: { kind: 'Email Sent', at: '2026-02-01T00:00:00.000Z' } });
    expect(body.items[1]).toMatchObject({ contact_count: 0, last_activity: { kind: 'None' } });
    expect(violations).toEqual([]);
  });

  it('fills schema defaults the handler omitted', async () => {
    const { status, body } = await get('/deals/4');
    expect(status).toBe(200);
    expect(body.contact_count).toBe(0);
  });

  it('strict: a mismatch is a 500 without internals, logged as a structured violation naming the path', async () => {
    const { status, body } = await get('/deals/broken');
    expect(status).toBe(500);
    expect(body).toEqual({ statusCode: 500, code: 'VIEW_CONTRACT_VIOLATION', message: 'The response did not match its view contract.' });
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({ code: 'VIEW_CONTRACT_VIOLATION', contract: 'DealsController.broken', mode: 'strict', issueCount: 1 });
    expect(violations[0]!.issues[0]).toMatchObject({ path: 'contact_count', code: 'invalid_type' });
    const logged = logger.errors.find((record: any) => record?.code === 'VIEW_CONTRACT_VIOLATION') as any;
    expect(logged).toMatchObject({ contract: 'DealsController.broken', issues: [{ path: 'contact_count' }] });
    expect(logged.message).toMatch(/^DealsController\.broken: .*contact_count/);
  });

  it('log: a mismatch is logged and the response still goes out, unknown fields stripped', async () => {
    const { status, body } = await get('/deals/broken-logged');
    expect(status).toBe(200);
    expect(body.contact_count).toBe('3');
    expect(body).not.toHaveProperty('password_hash');
    expect(violations.map((v) => [v.mode, v.issues[0]!.path])).toEqual([['log', 'contact_count']]);
  });

  it('unsampled responses are stripped of unknown fields but their values are not checked', async () => {
    const { status, body } = await get('/deals/broken-unsampled');
    expect(status).toBe(200);
    expect(body).not.toHaveProperty('password_hash');
    expect(violations).toEqual([]);
  });

  it("off: the handler's value goes out untouched", async () => {
    const { status, body } = await get('/deals/off');
    expect(status).toBe(200);
    expect(body.password_hash).toBe('secret');
  });

  it('a tagged union response is validated and stripped per variant', async () => {
    expect(await get('/deals/activity/none')).toEqual({ status: 200, body: { kind: 'None' } });
    expect(await get('/deals/activity/1')).toEqual({
      status: 200,
      body: { kind: 'Email Sent', at: '2026-02-01T00:00:00.000Z', label: 'Email to Ada' },
    });
  });

  it('POST keeps Nest status 201 and validates the created view', async () => {
    const response = await fetch(`${http.url}/deals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'New deal' }),
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual(DealPresenter.toView(dealRow(9, { title: 'New deal' })));
  });
});

describe('@ViewResponse types', () => {
  it('rejects at compile time a handler whose return type does not match the schema input', () => {
    const Counted = z.object({ name: z.string(), visit_count: z.int().nonnegative().default(0) });
    class Handlers {
      @ViewResponse(Counted)
      omitsDefault() {
        return { name: 'home' };
      }

      @ViewResponse(Counted)
      async isAsync() {
        return { name: 'home', visit_count: 1 };
      }

      // @ts-expect-error visit_count must be a number (typecheck fails if this line compiles)
      @ViewResponse(Counted)
      wrongType() {
        return { name: 'home', visit_count: 'one' };
      }
    }
    expect(Object.getOwnPropertyNames(Handlers.prototype)).toContain('wrongType');
  });
});
