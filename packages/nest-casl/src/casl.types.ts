import type { ForcedSubject, MongoAbility } from '@casl/ability';
import type { SubjectName } from './casl.register';

/** The actions of the suite, Title Case as everything that is stored, sent or shown. `Manage` means any. */
export type CaslAction = 'Create' | 'Read' | 'Update' | 'Delete' | 'Manage';

export const CASL_ACTIONS: readonly CaslAction[] = ['Create', 'Read', 'Update', 'Delete', 'Manage'];

/**
 * An ability over the app's subjects (`'Company' | 'Deal' | ...`, by default the ones registered
 * with `CaslRegister`). Instances are checked as `subject('Company', row)`; `'all'` stands for
 * every subject.
 */
export type AppAbility<TSubject extends string = SubjectName> = MongoAbility<[CaslAction, TSubject | 'all' | SubjectRecord<TSubject>]>;

/** A row tagged with its subject (`subject('Deal', row)`); conditions may name any of its fields. */
// Distributes over the union, so `can('Read', 'Deal', conditions)` types conditions for 'Deal'.
export type SubjectRecord<TSubject extends string> = TSubject extends string ? ForcedSubject<TSubject> & Record<string, any> : never;

/** The signed-in user as abilities see it. */
export interface AbilityUser {
  id: string;
  /** Role names ('Admin', 'Operator', ...): inputs to the abilities, never checked directly. */
  roles: readonly string[];
  /**
   * Bump it when the user's roles or permissions change to invalidate cached abilities
   * everywhere (e.g. a `roles_version` claim). Defaults to the sorted role list.
   */
  rolesVersion?: string | number;
  [claim: string]: unknown;
}

/** What ability definitions receive besides the builder. */
export interface AbilityContext {
  user: AbilityUser;
  /** The current workspace: always a non-empty string (no workspace, no ability). */
  workspaceId: string;
}
