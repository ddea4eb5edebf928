import { ContextModule, ContextService, type AuthorizationDecision } from '@acme/nest-context';
import { HTTP_ADAPTERS, startHttpApp, type HttpTestApp } from '@acme/nest-testing';
import { Controller, Delete, Injectable, Module, Param, Patch, Post, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaslModule, CheckAbility, defineAbilities, SkipAbilityCheck, PoliciesGuard } from '@acme/nest-casl';
import { Audit, AuditModule, AuditService } from '@acme/nest-audit';
import { createAuditFixture, eventually, type AuditFixture } from './support/audit-fixture';

const WS = '0190a0b2-0000-7000-8000-0000000000dd';

const abilities = defineAbilities<'Deal', 'Admin' | 'Operator' | 'Regional'>({
  Admin: ({ can }) => can('Manage', 'all'),
  Operator: ({ can, cannot }, { user }) => {
    can('Read', 'Deal'); // 0
    can('Update', 'Deal', { ownerId: user.id }); // 1
    cannot('Delete', 'Deal'); // 2
  },
  Regional: ({ can }) => {
    can(['Read', 'Update'], 'Deal', { region: 'North', stage: { $ne: 'Lost' } }); // 0
  },
});

/** Stands in for authentication: the user and roles come from headers. */
@Injectable()
class HeaderAuthGuard implements CanActivate {
  constructor(private readonly context: ContextService) {}
  canActivate(execution: ExecutionContext) {
    const request = execution.switchToHttp().getRequest();
    const user = String(request.headers['x-user']);
    request.user = { sub: user, roles: String(request.headers['x-roles']).split(',') };
    this.context.update({ workspaceId: WS, actor: { kind: 'User', id: user } });
    return true;
  }
}

// A pause inside every audited call, so concurrent requests interleave.
const pause = () => new Promise((resolve) => setTimeout(resolve, Math.random() * 15));

@Injectable()
class Deals {
  @Audit({ action: 'Update', subject: 'Deal' })
  async update(id: string) {
    await pause();
    return { id };
  }

  // Its own `authorization` metadata: redacted (a default `redact` name) without decisions, replaced by them.
  @Audit({ action: 'Close', subject: 'Deal', subjectId: ({ args }) => args[0] as string, metadata: () => ({ authorization: 'from the caller' }) })
  async close(id: string): Promise<never> {
    await pause();
    throw Object.assign(new Error(`Deal ${id} has open tasks`), { code: 'DEAL_OPEN_TASKS' });
  }

  @Audit({ action: 'Create', subject: 'Note' })
  async note(id: string) {
    await pause();
    return { id };
  }
}

@Controller()
class DealsController {
  constructor(private readonly deals: Deals) {}

  @Patch('deals/:id')
  @CheckAbility('Update', 'Deal')
  update(@Param('id') id: string) {
    return this.deals.update(id);
  }

  @Post('deals/:id/close')
  @CheckAbility(['Read', 'Deal'], ['Update', 'Deal'])
  close(@Param('id') id: string) {
    return this.deals.close(id);
  }

  @Delete('deals/:id')
  @CheckAbility('Delete', 'Deal')
  remove(@Param('id') id: string) {
    return { id };
  }

  @Post('notes/:id')
  @SkipAbilityCheck()
  note(@Param('id') id: string) {
    return this.deals.note(id);
  }
}

async function boot(pool: AuditFixture['pool'], adapter: (typeof HTTP_ADAPTERS)[number], decisionLog: boolean) {
  @Module({
    imports: [
      ContextModule.forRoot(),
      AuditModule.forRoot({ database: { pool }, batch: { maxWaitMs: 1 } }),
      CaslModule.forRoot({ abilities, ...(decisionLog && { decisionLog }) }),
    ],
    controllers: [DealsController],
    providers: [Deals, { provide: APP_GUARD, useClass: HeaderAuthGuard }, { provide: APP_GUARD, useClass: PoliciesGuard }],
  })
  class AppModule {}
  return startHttpApp(AppModule, adapter);
}

const send = (http: HttpTestApp, method: string, path: string, user: string, roles: string) =>
  fetch(`${http.url}${path}`, { method, headers: { 'x-user': user, 'x-roles': roles } }).then((response) => response.status);

/** The entries with these subject ids, once all of them are stored. */
async function entriesOf(http: HttpTestApp, fixture: AuditFixture, subjectIds: string[]) {
  return eventually(async () => {
    await http.app.get(AuditService).flush();
    const rows = (await fixture.rows()).filter((row) => subjectIds.includes(row.subject_id));
    expect(rows).toHaveLength(subjectIds.length);
    return new Map(rows.map((row) => [row.subject_id as string, row]));
  });
}

const decided = (action: string, decision: 'Allowed' | 'Denied', rule: number | null, inverted: boolean, fields: string[] = []): AuthorizationDecision => ({
  action,
  subject: 'Deal',
  decision,
  rule,
  inverted,
  fields,
});

describe('authorization decisions in audit entries', () => {
  let fixture: AuditFixture;
  beforeAll(async () => {
    fixture = await createAuditFixture();
  });
  afterAll(() => fixture?.close());

  describe.each(HTTP_ADAPTERS)('%s', (adapter) => {
    it('with decisionLog on, Success, Failure and denial entries carry the rules that decided (metadata.authorization)', async () => {
      const http = await boot(fixture.pool, adapter, true);
      try {
        expect(await send(http, 'PATCH', `/deals/${adapter}-on-1`, `op-1-${adapter}`, 'Operator')).toBe(200);
        expect(await send(http, 'POST', `/deals/${adapter}-on-2/close`, `op-1-${adapter}`, 'Operator')).toBe(500);
        expect(await send(http, 'DELETE', `/deals/${adapter}-on-3`, `op-1-${adapter}`, 'Operator')).toBe(403);
        expect(await send(http, 'POST', `/notes/${adapter}-on-4`, `op-1-${adapter}`, 'Operator')).toBe(201);
        // The denial entry has no subject id: find it by its route.
        const entries = await entriesOf(http, fixture, [`${adapter}-on-1`, `${adapter}-on-2`, `${adapter}-on-4`]);
        expect(entries.get(`${adapter}-on-1`)).toMatchObject({
          action: 'Update',
          status: 'Success',
          metadata: { authorization: [decided('Update', 'Allowed', 1, false, ['ownerId'])] },
        });
        expect(entries.get(`${adapter}-on-2`)).toMatchObject({
          action: 'Close',
          status: 'Failure',
          error_code: 'DEAL_OPEN_TASKS',
          metadata: { authorization: [decided('Read', 'Allowed', 0, false), decided('Update', 'Allowed', 1, false, ['ownerId'])] },
        });
        // A route that checks nothing has nothing to carry.
        expect(entries.get(`${adapter}-on-4`)!.metadata).toEqual({});
        const [denial] = await eventually(async () => {
          const rows = (await fixture.rows()).filter((row) => row.metadata?.handler === 'DealsController.remove' && row.actor_id === `op-1-${adapter}`);
          expect(rows).toHaveLength(1);
          return rows;
        });
        expect(denial).toMatchObject({
          action: 'Delete',
          status: 'Failure',
          error_code: 'CASL_FORBIDDEN',
          metadata: { denial: 'Forbidden', handler: 'DealsController.remove', authorization: [decided('Delete', 'Denied', 2, true)] },
        });
      } finally {
        await http.close();
      }
    });

    it('with decisionLog off (the default), entries carry no decisions', async () => {
      const http = await boot(fixture.pool, adapter, false);
      try {
        expect(await send(http, 'PATCH', `/deals/${adapter}-off-1`, `op-2-${adapter}`, 'Operator')).toBe(200);
        expect(await send(http, 'POST', `/deals/${adapter}-off-2/close`, `op-2-${adapter}`, 'Operator')).toBe(500);
        expect(await send(http, 'DELETE', `/deals/${adapter}-off-3`, `op-2-${adapter}`, 'Operator')).toBe(403);
        const entries = await entriesOf(http, fixture, [`${adapter}-off-1`, `${adapter}-off-2`]);
        const [denial] = await eventually(async () => {
          const rows = (await fixture.rows()).filter((row) => row.metadata?.handler === 'DealsController.remove' && row.actor_id === `op-2-${adapter}`);
          expect(rows).toHaveLength(1);
          return rows;
        });
        expect(entries.get(`${adapter}-off-1`)).toMatchObject({ status: 'Success', metadata: {} });
        expect(entries.get(`${adapter}-off-2`)).toMatchObject({ status: 'Failure', metadata: { authorization: '[REDACTED]' } });
        for (const entry of [entries.get(`${adapter}-off-1`)!, denial!]) expect(entry.metadata).not.toHaveProperty('authorization');
      } finally {
        await http.close();
      }
    });
  });

  it('no decision leaks between concurrent requests', async () => {
    const http = await boot(fixture.pool, 'express', true);
    try {
      const kinds = [
        { roles: 'Admin', path: 'deals', expected: [decided('Update', 'Allowed', 0, false)] },
        { roles: 'Operator', path: 'deals', expected: [decided('Update', 'Allowed', 1, false, ['ownerId'])] },
        { roles: 'Regional', path: 'deals', expected: [decided('Update', 'Allowed', 0, false, ['region', 'stage'])] },
        { roles: 'Operator', path: 'notes', expected: undefined },
      ];
      const calls = Array.from({ length: 80 }, (_, i) => ({ ...kinds[i % kinds.length]!, id: `concurrent-${i}`, user: `user-${i}` }));
      const statuses = await Promise.all(
        calls.map((call) => send(http, call.path === 'deals' ? 'PATCH' : 'POST', `/${call.path}/${call.id}`, call.user, call.roles)),
      );
      expect(statuses).toEqual(calls.map((call) => (call.path === 'deals' ? 200 : 201)));
      const entries = await entriesOf(
        http,
        fixture,
        calls.map((call) => call.id),
      );
      expect(calls.map((call) => [call.id, entries.get(call.id)!.actor_id, entries.get(call.id)!.metadata.authorization])).toEqual(
        calls.map((call) => [call.id, call.user, call.expected]),
      );
    } finally {
      await http.close();
    }
  });
});
