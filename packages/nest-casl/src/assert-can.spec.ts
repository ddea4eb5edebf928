import { createMongoAbility } from '@casl/ability';
import { ContextService, type AuthorizationDenied } from '@acme/nest-context';
import { describe, expect, it } from 'vitest';
import { AbilityFactory } from './ability.factory';
import { assertCan, permittedFields } from './assert-can';
import { CaslDenials } from './casl-denials';
import { AccessForbiddenException, SubjectNotFoundException } from './casl.errors';
import { defineAbilities } from './define-abilities';

const abilities = defineAbilities<'Deal', 'Rep' | 'Analyst'>({
  Rep: ({ can, cannot }, { user }) => {
    can('Read', 'Deal');
    can('Update', 'Deal', { ownerId: user.id });
    cannot('Read', 'Deal', { confidential: true });
  },
  Analyst: ({ can }) => {
    can('Read', 'Deal', ['title', 'stage', 'amount']);
    can('Read', 'Deal', ['ownerId'], { region: 'North' });
  },
});
const factory = new AbilityFactory({ abilities }, new ContextService());
const rep = factory.createFor({ id: 'u1', roles: ['Rep'] }, 'ws');
const analyst = factory.createFor({ id: 'u9', roles: ['Analyst'] }, 'ws');

describe('assertCan', () => {
  it('passes what the rules allow on this row', () => {
    expect(() => assertCan(rep, 'Update', 'Deal', { ownerId: 'u1', confidential: false })).not.toThrow();
  });

  it('404 when the row is not readable, 403 when readable but the action is not allowed', () => {
    expect(() => assertCan(rep, 'Update', 'Deal', { ownerId: 'u1', confidential: true })).toThrow(SubjectNotFoundException);
    expect(() => assertCan(rep, 'Update', 'Deal', { ownerId: 'u2', confidential: false })).toThrow(AccessForbiddenException);
  });

  it('does not tag or change the caller’s row', () => {
    const row = { ownerId: 'u1' };
    assertCan(rep, 'Read', 'Deal', row);
    expect(Object.keys(row)).toEqual(['ownerId']);
  });
});

describe('assertCan denial events', () => {
  const context = new ContextService();
  const denials = new CaslDenials();
  const events: AuthorizationDenied[] = [];
  denials.subscribe((event) => void events.push(event));
  const reporting = new AbilityFactory({ abilities }, context, denials).createFor({ id: 'u1', roles: ['Rep'] }, 'ws');
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it("emits 'Not Found' for an unreadable row and 'Forbidden' for a readable one, with who and where", async () => {
    events.length = 0;
    context.run({ requestId: 'req-1', workspaceId: 'ws', actor: { kind: 'User', id: 'u1' } }, () => {
      expect(() => assertCan(reporting, 'Update', 'Deal', { ownerId: 'u1', confidential: true })).toThrow(SubjectNotFoundException);
      expect(() => assertCan(reporting, 'Update', 'Deal', { ownerId: 'u2', confidential: false })).toThrow(AccessForbiddenException);
      assertCan(reporting, 'Update', 'Deal', { ownerId: 'u1', confidential: false });
    });
    await settle();
    const base = { action: 'Update', subject: 'Deal', userId: 'u1', workspaceId: 'ws', requestId: 'req-1', handler: null };
    expect(events).toEqual([
      { kind: 'Not Found', ...base },
      { kind: 'Forbidden', ...base },
    ]);
  });

  it('outside a request context the event has no request id; no workspace still reports', async () => {
    events.length = 0;
    const factory = new AbilityFactory({ abilities }, context, denials);
    expect(() => assertCan(factory.createFor({ id: 'u3', roles: ['Rep'] }, null), 'Read', 'Deal', {})).toThrow(SubjectNotFoundException);
    await settle();
    expect(events).toEqual([{ kind: 'Not Found', action: 'Read', subject: 'Deal', userId: 'u3', workspaceId: null, requestId: null, handler: null }]);
  });

  it('abilities built without CaslDenials (or by hand) only throw', async () => {
    events.length = 0;
    expect(() => assertCan(rep, 'Update', 'Deal', { ownerId: 'u1', confidential: true })).toThrow(SubjectNotFoundException);
    expect(() => assertCan(createMongoAbility([]), 'Read', 'Deal', {})).toThrow(SubjectNotFoundException);
    await settle();
    expect(events).toEqual([]);
  });
});

describe('permittedFields', () => {
  const all = ['title', 'stage', 'amount', 'ownerId', 'region', 'margin'];

  it('rules without fields allow every field', () => {
    expect(permittedFields(rep, 'Read', 'Deal', all, { confidential: false })).toEqual(all);
  });

  it('field rules narrow to their fields, with conditions checked on the row', () => {
    expect(permittedFields(analyst, 'Read', 'Deal', all, { region: 'South' }).sort()).toEqual(['amount', 'stage', 'title']);
    expect(permittedFields(analyst, 'Read', 'Deal', all, { region: 'North' }).sort()).toEqual(['amount', 'ownerId', 'stage', 'title']);
  });
});
