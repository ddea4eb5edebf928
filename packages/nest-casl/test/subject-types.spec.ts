import { describe, expectTypeOf, it } from 'vitest';
import {
  accessibleBy,
  assertCan,
  caslSubject,
  CheckAbility,
  defineAbilities,
  permittedFields,
  subject,
  type AppAbility,
  type SubjectName,
} from '@acme/nest-casl';
import { deals } from './support/schema';

// The registration an app makes once. test/ imports '@acme/nest-casl' from the built dist (the
// package's self-reference), so these checks run on the published types, and `pnpm typecheck`
// fails when a `@ts-expect-error` below stops being an error. Augmentation is program-wide: every
// test file sees these subjects (they are the only ones the tests use).
declare module '@acme/nest-casl' {
  interface CaslRegister {
    subjects: 'Company' | 'Deal';
  }
}

// Never called: the lines only have to compile (or fail to).
const ability = {} as AppAbility;

describe('a registered subject list makes misspelt subjects compile errors', () => {
  it('SubjectName and AppAbility are the registered subjects', () => {
    expectTypeOf<SubjectName>().toEqualTypeOf<'Company' | 'Deal'>();
    expectTypeOf<Parameters<AppAbility['can']>[1]>().not.toEqualTypeOf<string>();
  });

  it('@CheckAbility', () => {
    expectTypeOf(CheckAbility).toBeCallableWith('Read', 'Deal');
    expectTypeOf(CheckAbility).toBeCallableWith(['Read', 'Company'], ['Update', 'Deal']);
    expectTypeOf(CheckAbility).toBeCallableWith('Manage', 'all');
    return () => {
      // @ts-expect-error 'Dael' is not a registered subject
      CheckAbility('Read', 'Dael');
      // @ts-expect-error 'Dael' is not a registered subject
      CheckAbility(['Read', 'Company'], ['Read', 'Dael']);
      // @ts-expect-error 'Edit' is not an action
      CheckAbility('Edit', 'Deal');
    };
  });

  it('defineAbilities rules, with or without type arguments', () => {
    const typed = defineAbilities<'Company' | 'Deal', 'Admin' | 'Viewer'>({
      Admin: ({ can }) => can('Manage', 'all'),
      Viewer: ({ can, cannot }) => {
        can('Read', ['Company', 'Deal']);
        cannot('Read', 'Deal', { stage: 'Lost' });
      },
    });
    expectTypeOf(typed.roles).toHaveProperty('Viewer');
    return () => {
      // @ts-expect-error 'Dael' is not a registered subject (subjects default to the registered ones)
      defineAbilities({ Viewer: ({ can }) => can('Read', 'Dael') });
      // @ts-expect-error 'Dael' is not a registered subject
      defineAbilities({ Viewer: ({ cannot }) => cannot('Read', ['Company', 'Dael']) });
      // @ts-expect-error the subject type argument must be among the registered subjects
      defineAbilities<'Company' | 'Dael', 'Viewer'>({ Viewer: ({ can }) => can('Read', 'Company') });
      // @ts-expect-error 'Dael' is not among this definition's subjects
      defineAbilities<'Company' | 'Deal', 'Viewer'>({ Viewer: ({ can }) => can('Read', 'Dael') });
      // @ts-expect-error 'Viewr' is not one of the roles
      defineAbilities<'Deal', 'Viewer'>({ Viewr: ({ can }) => can('Read', 'Deal') });
    };
  });

  it('assertCan, permittedFields, accessibleBy, caslSubject and the ability itself', () => {
    return () => {
      assertCan(ability, 'Update', 'Deal', {});
      ability.can('Read', subject('Deal', {}));
      // @ts-expect-error 'Dael' is not a registered subject
      assertCan(ability, 'Update', 'Dael', {});
      // @ts-expect-error 'Dael' is not a registered subject
      permittedFields(ability, 'Read', 'Dael', ['title']);
      // @ts-expect-error 'Dael' is not a registered subject
      accessibleBy(ability, 'Read', deals, { subject: 'Dael' });
      // @ts-expect-error 'Dael' is not a registered subject
      caslSubject(deals, 'Dael');
      // @ts-expect-error 'Dael' is not a registered subject
      ability.can('Read', 'Dael');
      // @ts-expect-error a row tagged with an unregistered subject
      ability.can('Read', subject('Dael', {}));
    };
  });
});
