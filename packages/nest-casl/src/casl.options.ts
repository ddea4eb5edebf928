import type { AbilityUser } from './casl.types';
import type { AbilityDefinition } from './define-abilities';

/** The request as the platform gives it; `user` is set by your authentication guard. */
export interface CaslRequest {
  user?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Options of `CaslModule.forRoot` / `forRootAsync`. */
export interface CaslModuleOptions {
  /** What each role may do: `defineAbilities<Subjects, Roles>({ ... })`. */
  abilities: AbilityDefinition<any, any>;
  /**
   * The user abilities are built for, from the authenticated request; null = anonymous.
   * Default: `request.user` with `id` from `sub` (or `id`), `roles` from `roles`, `rolesVersion`
   * from `roles_version`.
   */
  resolveUser?: (request: CaslRequest) => AbilityUser | null | undefined;
  /**
   * How many (user, workspace, roles version) abilities to keep.
   * @default 10000
   */
  cacheSize?: number;
  /**
   * Keep, in the request context, which rule decided each check `PoliciesGuard` makes
   * (nest-context's `AUTHORIZATION_DECISIONS`): @acme/nest-audit copies them into the entries of
   * that request as `metadata.authorization`. Off, the guard does no extra work.
   * @default false
   */
  decisionLog?: boolean;
}

export interface CaslModuleExtras {
  /** @default true */
  isGlobal?: boolean;
}
