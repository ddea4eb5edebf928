import { subject as tagSubject } from '@casl/ability';
import { permittedFieldsOf } from '@casl/ability/extra';
import { reportDenial } from './casl-denials';
import { AccessForbiddenException, SubjectNotFoundException } from './casl.errors';
import type { AppAbility, CaslAction, SubjectRecord } from './casl.types';
import type { SubjectName } from './casl.register';

/**
 * Checks an action on one row with the suite's semantics: a row the user may not Read is a
 * 404 (its existence is not disclosed); a readable row the action is not allowed on is a 403.
 * Each refusal is also a denial event (`CaslDenials`, kind 'Not Found' or 'Forbidden') when the
 * ability comes from `CaslModule`'s `AbilityFactory`; other abilities only throw.
 *
 * @example const deal = await db.findOneOrThrow(deals, id); assertCan(ability, 'Update', 'Deal', deal);
 */
export function assertCan(ability: AppAbility, action: CaslAction, subjectName: SubjectName, row: object): void {
  const tagged = tagSubject(subjectName, { ...row }) as SubjectRecord<string>;
  if (!ability.can('Read', tagged)) {
    reportDenial(ability, 'Not Found', action, subjectName);
    throw new SubjectNotFoundException(subjectName);
  }
  if (action !== 'Read' && !ability.can(action, tagged)) {
    reportDenial(ability, 'Forbidden', action, subjectName);
    throw new AccessForbiddenException();
  }
}

/**
 * The fields of `row` (or of the subject, given all its fields) the user may `action`: for
 * presenters that hide what a role may not see. Rules without `fields` allow all of them.
 */
export function permittedFields(ability: AppAbility, action: CaslAction, subjectName: SubjectName, allFields: readonly string[], row?: object): string[] {
  const target = row ? (tagSubject(subjectName, { ...row }) as SubjectRecord<string>) : subjectName;
  return permittedFieldsOf(ability, action, target, { fieldsFrom: (rule) => rule.fields ?? [...allFields] });
}
