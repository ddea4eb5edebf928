import type { AbilityBuilder } from '@casl/ability';
import type { AbilityContext, AppAbility } from './casl.types';
import type { SubjectName } from './casl.register';

/** Adds the rules of one role. Runs on a cold cache only (results are cached per user and workspace). */
export type RoleAbilities<TSubject extends string = SubjectName> = (
  builder: Pick<AbilityBuilder<AppAbility<TSubject>>, 'can' | 'cannot'>,
  context: AbilityContext,
) => void;

/** What each role may do, in one typed place. */
export interface AbilityDefinition<TSubject extends string = string, TRole extends string = string> {
  readonly roles: Readonly<Record<TRole, RoleAbilities<TSubject>>>;
}

/**
 * Defines what each role may do. Subjects and roles are type parameters, so a misspelt subject,
 * action or role is a compile error. Subjects default to the ones registered with `CaslRegister`
 * (and must be among them), so with a registration `defineAbilities<Subjects, Roles>` and
 * `defineAbilities({ ... })` both check every rule:
 *
 * @example
 * type Subjects = 'Company' | 'Deal';
 * export const abilities = defineAbilities<Subjects, 'Admin' | 'Viewer'>({
 *   Admin: ({ can }) => can('Manage', 'all'),
 *   Viewer: ({ can, cannot }, { user }) => {
 *     can('Read', 'Company');
 *     can('Update', 'Deal', { ownerId: user.id });
 *     cannot('Read', 'Deal', { stage: 'Lost' });
 *   },
 * });
 */
export function defineAbilities<TSubject extends SubjectName = SubjectName, TRole extends string = string>(
  roles: Record<TRole, RoleAbilities<TSubject>>,
): AbilityDefinition<TSubject, TRole> {
  return { roles: Object.freeze({ ...roles }) };
}
