import { AbilityBuilder, createMongoAbility } from '@casl/ability';
import { ContextService, defineContextSlot } from '@acme/nest-context';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { AbilityCache } from './ability-cache';
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

/**
 * Builds abilities from roles and workspace, cached per (user, workspace, roles version): the
 * rules run once, then every request of that user in that workspace reuses the ability.
 * Given `CaslDenials` (as `CaslModule` provides it), its abilities report `assertCan` refusals.
 */
@Injectable()
export class AbilityFactory {
  private readonly cache: AbilityCache<AppAbility>;
  private readonly options: ResolvedCaslOptions;

  /**
   * `CaslModule` constructs it; construct it yourself in unit tests, with the module's options
   * (`{ abilities }` and any other) and, to see `assertCan` denial events, a `CaslDenials`.
   */
  constructor(
    @Inject(RESOLVED_CASL_OPTIONS) options: CaslModuleOptions,
    private readonly context: ContextService,
    @Optional() @Inject(CaslDenials) private readonly denials?: CaslDenials,
  ) {
    this.options = resolveCaslOptions(options);
    this.cache = new AbilityCache(this.options.cacheSize);
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
    let ability = this.cache.get(key);
    if (!ability) {
      ability = this.reporting(this.build(user, workspaceId), user, workspaceId);
      this.cache.set(key, ability);
    }
    return ability;
  }

  /** Forgets cached abilities of a user and/or a workspace (call it when roles change). */
  invalidate(filter: { userId?: string; workspaceId?: string } = {}): number {
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
