import { ContextService } from '@acme/nest-context';
import { describe, expect, it } from 'vitest';
import { AbilityFactory } from './ability.factory';
import { assertCan, permittedFields } from './assert-can';
import { AccessForbiddenException, SubjectNotFoundException } from './casl.errors';
import { defineAbilities } from './define-abilities';

const factory = new AbilityFactory(
  {
    abilities: defineAbilities<'Deal', 'Rep' | 'Analyst'>({
      Rep: ({ can, cannot }, { user }) => {
        can('Read', 'Deal');
        can('Update', 'Deal', { ownerId: user.id });
        cannot('Read', 'Deal', { confidential: true });
      },
      Analyst: ({ can }) => {
        can('Read', 'Deal', ['title', 'stage', 'amount']);
        can('Read', 'Deal', ['ownerId'], { region: 'North' });
      },
    }),
  },
  new ContextService(),
);
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
