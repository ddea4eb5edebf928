import type { AbilityBuilder } from '@casl/ability';
import type { AbilityContext, AppAbility } from './casl.types';

/** Adds the rules of one role. Runs on a cold cache only (results are cached per user and workspace). */
export type RoleAbilities<TSubject extends string> = (
  builder: Pick<AbilityBuilder<AppAbility<TSubject>>, 'can' | 'cannot'>,
  context: AbilityContext,
) => void;

/** What each role may do, in one typed place. */
export interface AbilityDefinition<TSubject extends string = string, TRole extends string = string> {
  readonly roles: Readonly<Record<TRole, RoleAbilities<TSubject>>>;
}

/**
 * Defines what each role may do. Subjects and roles are type parameters, so a misspelt subject,
 * action or role is a compile error:
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
export function defineAbilities<TSubject extends string, TRole extends string = string>(
  roles: Record<TRole, RoleAbilities<TSubject>>,
): AbilityDefinition<TSubject, TRole> {
  return { roles: Object.freeze({ ...roles }) };
}
