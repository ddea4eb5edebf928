import { Controller, Delete, Get, Injectable, Module, Patch, Post, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaslModule, CheckAbility, defineAbilities, PoliciesGuard, SkipAbilityCheck, type CaslModuleOptions } from '@acme/nest-casl';
import {
  AUTHORIZATION_DECISIONS,
  AUTHORIZATION_DENIALS,
  ContextModule,
  ContextService,
  type AuthorizationDecision,
  type AuthorizationDenials,
} from '@acme/nest-context';
import { bearer, claimsFromBearer, startHttpApp } from '@acme/nest-testing';

const WS = '0190a0b2-0000-7000-8000-0000000000d1';

// Rule positions are those of `ability.rules`: the rules of the user's roles, in declared role order.
const abilities = defineAbilities<'Company' | 'Deal', 'Admin' | 'Operator' | 'Viewer' | 'Nobody'>({
  Admin: ({ can }) => {
    can('Manage', 'all'); // 0
  },
  Operator: ({ can, cannot }, { user }) => {
    can('Read', 'Deal'); // 0
    can('Update', 'Deal', { ownerId: user.id }); // 1
    cannot('Update', 'Deal', { stage: { $in: ['Won', 'Lost'] } }); // 2: conditional, does not decide a check on the type
    cannot('Delete', 'Deal'); // 3
    can('Read', 'Company', { $or: [{ ownerId: user.id }, { region: 'North', visibility: { $ne: 'Private' } }] } as never); // 4
  },
  Viewer: ({ can, cannot }) => {
    can('Read', ['Company', 'Deal']); // 0
    cannot('Read', 'Deal'); // 1
  },
  Nobody: () => {},
});

@Injectable()
class FakeJwtGuard implements CanActivate {
  constructor(private readonly context: ContextService) {}
  canActivate(execution: ExecutionContext): boolean {
    const request = execution.switchToHttp().getRequest();
    request.user = claimsFromBearer(request.headers.authorization);
    if (request.user) this.context.update({ workspaceId: WS, actor: { kind: 'User', id: String(request.user.sub) } });
    return true;
  }
}

// Each handler answers with the decisions of its own request (after a pause, so requests interleave).
const decisions = async () => {
  await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
  return { decisions: AUTHORIZATION_DECISIONS.get() ?? null };
};

@Controller('deals')
class DealsController {
  @Get()
  @CheckAbility('Read', 'Deal')
  list() {
    return decisions();
  }

  @Patch(':id')
  @CheckAbility('Update', 'Deal')
  update() {
    return decisions();
  }

  @Delete(':id')
  @CheckAbility('Delete', 'Deal')
  remove() {
    return decisions();
  }

  @Post()
  @CheckAbility('Create', 'Deal')
  create() {
    return decisions();
  }

  @Get('board')
  @CheckAbility(['Read', 'Deal'], ['Update', 'Deal'])
  board() {
    return decisions();
  }
}

@Controller()
class MiscController {
  @Get('companies')
  @CheckAbility('Read', 'Company')
  companies() {
    return decisions();
  }

  @Get('open')
  @SkipAbilityCheck()
  open() {
    return decisions();
  }
}

const as = (roles: string[], sub = 'u1') => bearer({ sub, roles });

async function boot(options: Partial<CaslModuleOptions>) {
  @Module({
    imports: [ContextModule.forRoot(), CaslModule.forRoot({ abilities, ...options })],
    controllers: [DealsController, MiscController],
    providers: [
      { provide: APP_GUARD, useClass: FakeJwtGuard },
      { provide: APP_GUARD, useClass: PoliciesGuard },
    ],
  })
  class AppModule {}
  const http = await startHttpApp(AppModule, 'express');
  // What a listener of denials (as @acme/nest-audit is) finds in the refused request's context.
  const refused: { action: string | null; decisions: readonly AuthorizationDecision[] | undefined }[] = [];
  http.app.get<AuthorizationDenials>(AUTHORIZATION_DENIALS, { strict: false }).subscribe((event) => {
    refused.push({ action: event.action, decisions: AUTHORIZATION_DECISIONS.get() });
  });
  const call = async (method: string, path: string, headers: Record<string, string> = {}) => {
    const { status, body } = await http.request(method, path, { headers });
    return { status, body };
  };
  return { http, refused, call };
}

const allowed = (action: string, subject: string, rule: number, fields: string[] = []): AuthorizationDecision => ({
  action,
  subject,
  decision: 'Allowed',
  rule,
  inverted: false,
  fields,
});

describe('decisionLog: true', () => {
  let app: Awaited<ReturnType<typeof boot>>;
  beforeAll(async () => {
    app = await boot({ decisionLog: true });
  });
  afterAll(() => app?.http.close());

  it('records the rule that allowed each check: its position, and the fields its conditions name', async () => {
    expect(await app.call('GET', '/deals', as(['Operator']))).toEqual({ status: 200, body: { decisions: [allowed('Read', 'Deal', 0)] } });
    // The conditional `cannot` (rule 2) does not apply to a check on the type: rule 1 decides, as in CASL's `can`.
    expect((await app.call('PATCH', '/deals/1', as(['Operator']))).body).toEqual({ decisions: [allowed('Update', 'Deal', 1, ['ownerId'])] });
    // Field names inside $or (and $and, $nor), once each, not the operators.
    expect((await app.call('GET', '/companies', as(['Operator']))).body).toEqual({
      decisions: [allowed('Read', 'Company', 4, ['ownerId', 'region', 'visibility'])],
    });
    // Every requirement of the route, in order.
    expect((await app.call('GET', '/deals/board', as(['Operator']))).body).toEqual({
      decisions: [allowed('Read', 'Deal', 0), allowed('Update', 'Deal', 1, ['ownerId'])],
    });
  });

  it("a 'Manage' 'all' rule decides any action on any subject", async () => {
    for (const [method, path, action, subject] of [
      ['DELETE', '/deals/1', 'Delete', 'Deal'],
      ['POST', '/deals', 'Create', 'Deal'],
      ['GET', '/companies', 'Read', 'Company'],
    ] as const) {
      expect(await app.call(method, path, as(['Admin']))).toMatchObject({ body: { decisions: [allowed(action, subject, 0)] } });
    }
  });

  it('records the refusing rule of a denial (an inverted rule, or none) where denial listeners see it', async () => {
    app.refused.length = 0;
    expect((await app.call('DELETE', '/deals/1', as(['Operator']))).status).toBe(403);
    expect((await app.call('POST', '/deals', as(['Operator']))).status).toBe(403);
    // Positions count across the user's roles: Operator's five rules, then Viewer's.
    expect(await app.call('GET', '/deals', as(['Operator', 'Viewer'], 'u-ov'))).toMatchObject({ status: 403 });
    expect(await app.call('GET', '/deals', as(['Nobody']))).toMatchObject({ status: 403, body: { code: 'CASL_FORBIDDEN' } });
    await new Promise((resolve) => setImmediate(resolve));
    const denied = (action: string, rule: number | null, inverted: boolean): AuthorizationDecision[] => [
      { action, subject: 'Deal', decision: 'Denied', rule, inverted, fields: [] },
    ];
    expect(app.refused).toEqual([
      { action: 'Delete', decisions: denied('Delete', 3, true) },
      { action: 'Create', decisions: denied('Create', null, false) },
      { action: 'Read', decisions: denied('Read', 6, true) },
      { action: 'Read', decisions: denied('Read', null, false) },
    ]);
    // Listed the other way round, the roles still apply in declared order: Viewer's `cannot` decides.
    expect(await app.call('GET', '/deals', as(['Viewer', 'Operator'], 'u-vo'))).toMatchObject({ status: 403 });
  });

  it('a check that stops at the first refused requirement records the ones it made', async () => {
    expect((await app.call('GET', '/deals/board', as(['Viewer']))).status).toBe(403);
    expect((await app.call('GET', '/deals/board', as(['Nobody']))).status).toBe(403);
    await new Promise((resolve) => setImmediate(resolve));
    expect(app.refused.slice(-2).map((r) => r.decisions)).toEqual([
      [{ action: 'Read', subject: 'Deal', decision: 'Denied', rule: 1, inverted: true, fields: [] }],
      [{ action: 'Read', subject: 'Deal', decision: 'Denied', rule: null, inverted: false, fields: [] }],
    ]);
  });

  it('records nothing for a route that checks nothing', async () => {
    expect((await app.call('GET', '/open', as(['Admin']))).body).toEqual({ decisions: null });
  });

  it('keeps the decisions of each request to itself under concurrency', async () => {
    const cases = [
      { path: '/deals', roles: ['Operator'], expected: [allowed('Read', 'Deal', 0)] },
      { path: '/deals/board', roles: ['Operator'], expected: [allowed('Read', 'Deal', 0), allowed('Update', 'Deal', 1, ['ownerId'])] },
      { path: '/companies', roles: ['Admin'], expected: [allowed('Read', 'Company', 0)] },
      { path: '/companies', roles: ['Viewer'], expected: [allowed('Read', 'Company', 0)] },
      { path: '/open', roles: ['Operator'], expected: null },
    ];
    const runs = Array.from({ length: 60 }, (_, i) => cases[i % cases.length]!);
    const answers = await Promise.all(runs.map((c, i) => app.call('GET', c.path, as(c.roles, `user-${i}`))));
    expect(answers.map((a) => a.body.decisions)).toEqual(runs.map((c) => c.expected));
  });
});

describe('decisionLog off (the default)', () => {
  let app: Awaited<ReturnType<typeof boot>>;
  beforeAll(async () => {
    app = await boot({});
  });
  afterAll(() => app?.http.close());

  it('records no decision, allowed or denied', async () => {
    expect(await app.call('GET', '/deals/board', as(['Operator']))).toEqual({ status: 200, body: { decisions: null } });
    app.refused.length = 0;
    expect((await app.call('DELETE', '/deals/1', as(['Operator']))).status).toBe(403);
    await new Promise((resolve) => setImmediate(resolve));
    expect(app.refused).toEqual([{ action: 'Delete', decisions: undefined }]);
  });
});
