import { AbilityBuilder, createMongoAbility } from '@casl/ability';
import {
  ContextService,
  defineContextSlot,
  invalidateEverywhere,
  INVALIDATION_BUS,
  isInvalidationTrusted,
  type InvalidationBus,
  type InvalidationTrust,
} from '@acme/nest-context';
import { Inject, Injectable, Logger, Optional, type OnModuleDestroy } from '@nestjs/common';
import { AbilityCache } from './ability-cache';
import { ABILITY_INVALIDATION_TOPIC, invalidationFrom, type AbilityInvalidation } from './ability-invalidation';
import { attachDenialReporter, CaslDenials } from './casl-denials';
import type { CaslModuleOptions } from './casl.options';
import type { AbilityUser, AppAbility } from './casl.types';
import { AbilityDefinitionError, UnauthenticatedException } from './casl.errors';
import { RESOLVED_CASL_OPTIONS, resolveCaslOptions, type ResolvedCaslOptions } from './resolve-casl-options';

/**
 * The request's ability, where the guard leaves it for services, and the `Controller.handler` it
 * was built for, so `assertCan` denials name the route.
 */
const currentAbility = defineContextSlot<{ ability: AppAbility; handler: string | null }>('@acme/nest-casl:ability');
// Title Case like every other value: 'Manage' is CASL's "any action" (its default is 'manage').
const ABILITY_OPTIONS = { anyAction: 'Manage', anySubjectType: 'all' } as const;

/** A cached ability and when it was built (`Date.now()`), for the fallback TTL. */
interface CachedAbility {
  ability: AppAbility;
  builtAt: number;
}

/**
 * Builds abilities from roles and workspace, cached per (user, workspace, roles version): the
 * rules run once, then every request of that user in that workspace reuses the ability.
 * Given `CaslDenials` (as `CaslModule` provides it), its abilities report `assertCan` refusals.
 * Given the app's `INVALIDATION_BUS`, `invalidate` reaches every replica.
 */
@Injectable()
export class AbilityFactory implements OnModuleDestroy {
  private readonly logger = new Logger('AbilityFactory');
  private readonly cache: AbilityCache<CachedAbility>;
  private readonly options: ResolvedCaslOptions;
  /** Undefined when every cached ability is trusted until invalidated (one process, no bus). */
  private readonly trust?: InvalidationTrust;
  private readonly unsubscribe?: () => void;

  /**
   * `CaslModule` constructs it; construct it yourself in unit tests, with the module's options
   * (`{ abilities }` and any other), to see `assertCan` denial events a `CaslDenials`, and to
   * invalidate across replicas an `InvalidationBus`.
   */
  constructor(
    @Inject(RESOLVED_CASL_OPTIONS) options: CaslModuleOptions,
    private readonly context: ContextService,
    @Optional() @Inject(CaslDenials) private readonly denials?: CaslDenials,
    @Optional() @Inject(INVALIDATION_BUS) private readonly bus?: InvalidationBus,
  ) {
    this.options = resolveCaslOptions(options);
    this.cache = new AbilityCache(this.options.cacheSize);
    const { fallbackTtlMs, replicated } = this.options.cache;
    if (bus || replicated) this.trust = { bus, fallbackTtlMs, replicated };
    this.unsubscribe = bus?.subscribe(ABILITY_INVALIDATION_TOPIC, (message) => this.forget(invalidationFrom(message)));
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /**
   * The ability of `user` in `workspaceId`. Without a workspace the ability allows nothing:
   * an empty workspace never turns a condition like `{ workspaceId }` into "match everything".
   */
  createFor(user: AbilityUser, workspaceId: string | null | undefined): AppAbility {
    if (!workspaceId) return this.reporting(createMongoAbility<AppAbility>([], ABILITY_OPTIONS), user, null);
    // JSON, not a separator: no id, workspace or role can make two users' keys the same string,
    // whatever characters it holds (users built outside PoliciesGuard are not checked).
    const roles = user.rolesVersion !== undefined ? { version: user.rolesVersion } : user.roles.length > 1 ? [...user.roles].sort() : user.roles;
    const key = JSON.stringify([user.id, workspaceId, roles]);
    const cached = this.cache.get(key);
    if (cached && (!this.trust || isInvalidationTrusted(cached.builtAt, this.trust))) return cached.ability;
    const builtAt = Date.now();
    const ability = this.reporting(this.build(user, workspaceId), user, workspaceId);
    this.cache.set(key, { ability, builtAt });
    return ability;
  }

  /**
   * Forgets cached abilities of a user and/or a workspace (`{}`: all of them); call it when
   * roles or permissions change server-side. With the app's `INVALIDATION_BUS`, every other
   * replica forgets them too. Inside a transaction (a request under @acme/nest-tenancy's RLS, a
   * `TenantDb.transaction`) it forgets them again once committed and tells the other replicas then
   * (never on rollback), so no replica keeps an ability built from the state before the commit.
   * Returns how many this process forgot now.
   */
  invalidate(filter: AbilityInvalidation = {}): number {
    let forgotten = 0;
    const { userId, workspaceId } = filter;
    invalidateEverywhere({
      bus: this.bus,
      topic: ABILITY_INVALIDATION_TOPIC,
      message: { ...(userId !== undefined ? { userId } : {}), ...(workspaceId !== undefined ? { workspaceId } : {}) },
      apply: () => (forgotten += this.forget(filter)),
      onPublishError: (error) =>
        this.logger.warn(
          `Other replicas were not told to forget abilities (${error instanceof Error ? error.message : String(error)}): they expire there within cache.fallbackTtlMs.`,
        ),
    });
    return forgotten;
  }

  private forget(filter: AbilityInvalidation): number {
    return this.cache.deleteWhere((key) => {
      const [userId, workspaceId] = JSON.parse(key) as [string, string];
      return (filter.userId === undefined || filter.userId === userId) && (filter.workspaceId === undefined || filter.workspaceId === workspaceId);
    });
  }

  /** The ability `PoliciesGuard` built for the current request (for services), or undefined. */
  current(): AppAbility | undefined {
    return currentAbility.get()?.ability;
  }

  /**
   * The ability `PoliciesGuard` built for the current request, for services that must not run
   * without one: throws `UnauthenticatedException` (401 `CASL_UNAUTHENTICATED`) when there is none
   * (no signed-in user, a route the guard did not run on, or code outside a request).
   */
  requireCurrent(): AppAbility {
    const ability = this.current();
    if (!ability) throw new UnauthenticatedException();
    return ability;
  }

  /**
   * Remembers the request's ability for `current()`, and the `Controller.handler` it was built
   * for (named by `assertCan` denial events); a no-op outside a request context.
   */
  setCurrent(ability: AppAbility, handler?: string): void {
    currentAbility.set({ ability, handler: handler ?? currentAbility.get()?.handler ?? null });
  }

  /** The ability for the current context's workspace. */
  forContext(user: AbilityUser): AppAbility {
    return this.createFor(user, this.context.get()?.workspaceId);
  }

  // An ability belongs to one user and workspace (that is its cache key), so the reporter can name
  // them; the request id and route are read when a denial happens.
  private reporting(ability: AppAbility, user: AbilityUser, workspaceId: string | null): AppAbility {
    const denials = this.denials;
    if (!denials) return ability;
    const userId = user.id;
    attachDenialReporter(ability, (kind, action, subject) => {
      denials.emit({
        kind,
        action,
        subject,
        userId,
        workspaceId,
        requestId: this.context.get()?.requestId ?? null,
        handler: currentAbility.get()?.handler ?? null,
      });
    });
    return ability;
  }

  private build(user: AbilityUser, workspaceId: string): AppAbility {
    const builder = new AbilityBuilder<AppAbility>(createMongoAbility);
    const roles = this.options.abilities.roles as Record<string, (b: typeof builder, c: object) => void>;
    // In the order defineAbilities declares the roles, not the order the user's list has: a later
    // rule wins in CASL, so two users with the same roles get the same answers (and share the
    // cached ability, whose key sorts the roles). An unknown role grants nothing (fail closed).
    const held = new Set(user.roles);
    for (const role of Object.keys(roles)) {
      if (held.has(role)) roles[role]!(builder, { user, workspaceId });
    }
    for (const rule of builder.rules) assertDefinedValues(rule.conditions, `${String(rule.action)} ${String(rule.subject)}`);
    return builder.build(ABILITY_OPTIONS);
  }
}

/**
 * A condition value of `undefined` (say `{ ownerId: user.managerId }` for a user without one)
 * would match documents that lack the field, in memory and in translation: refuse it.
 */
function assertDefinedValues(conditions: unknown, rule: string, path = ''): void {
  if (conditions === undefined || conditions === null || typeof conditions !== 'object') return;
  for (const [key, value] of Object.entries(conditions)) {
    const at = path ? `${path}.${key}` : key;
    if (value === undefined) {
      throw new AbilityDefinitionError(
        `The rule "${rule}" has an undefined condition value at "${at}" (it would match rows that lack the field): ` +
          'use null to match a missing value, or leave the rule out when the user has none.',
      );
    }
    if (typeof value === 'object') assertDefinedValues(value, rule, at);
  }
}
