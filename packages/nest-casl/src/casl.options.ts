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
   * How cached abilities stay right when the app runs as several replicas. `AbilityFactory`
   * publishes its invalidations on the app's `INVALIDATION_BUS` (nest-context; e.g.
   * @acme/nest-cache's `InvalidationBusModule`) and applies the other replicas' ones.
   */
  cache?: AbilityCacheOptions;
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

/** The `cache` option of `CaslModule`. */
export interface AbilityCacheOptions {
  /**
   * Longest life of a cached ability that may have missed an invalidation: while the app's
   * `INVALIDATION_BUS` is not healthy (and for abilities built before it last became healthy), or
   * with no bus when `replicated`. A missed message costs at most this much staleness.
   * @default 5000
   */
  fallbackTtlMs?: number;
  /**
   * The app runs as several processes. Without an `INVALIDATION_BUS`, an invalidation then reaches
   * only the process that made it, so cached abilities expire after `fallbackTtlMs`.
   * @default false
   */
  replicated?: boolean;
}
