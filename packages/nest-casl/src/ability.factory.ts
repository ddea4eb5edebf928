import { AbilityBuilder, createMongoAbility } from '@casl/ability';
import { ContextService } from '@acme/nest-context';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { ClsServiceManager } from 'nestjs-cls';
import { AbilityCache } from './ability-cache';
import { attachDenialReporter, CaslDenials } from './casl-denials';
import { CASL_MODULE_OPTIONS } from './casl.module-definition';
import type { CaslModuleOptions } from './casl.options';
import type { AbilityUser, AppAbility } from './casl.types';
import { AbilityDefinitionError, UnauthenticatedException } from './casl.errors';

// Where the guard leaves the request's ability for services (the request context's CLS store).
const CURRENT_ABILITY = Symbol.for('@acme/nest-casl:current-ability');
// ... and the route it was built for, so `assertCan` denials name it.
const CURRENT_HANDLER = Symbol.for('@acme/nest-casl:current-handler');
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

  constructor(
    @Inject(CASL_MODULE_OPTIONS) private readonly options: CaslModuleOptions,
    private readonly context: ContextService,
    @Optional() @Inject(CaslDenials) private readonly denials?: CaslDenials,
  ) {
    this.cache = new AbilityCache(options.cacheSize ?? 10_000);
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
    const cls = ClsServiceManager.getClsService();
    return cls.isActive() ? (cls.get(CURRENT_ABILITY) as AppAbility | undefined) : undefined;
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
    const cls = ClsServiceManager.getClsService();
    if (!cls.isActive()) return;
    cls.set(CURRENT_ABILITY, ability);
    if (handler !== undefined) cls.set(CURRENT_HANDLER, handler);
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
      const cls = ClsServiceManager.getClsService();
      denials.emit({
        kind,
        action,
        subject,
        userId,
        workspaceId,
        requestId: this.context.get()?.requestId ?? null,
        handler: cls.isActive() ? ((cls.get(CURRENT_HANDLER) as string | undefined) ?? null) : null,
      });
    });
    return ability;
  }

  private build(user: AbilityUser, workspaceId: string): AppAbility {
    const builder = new AbilityBuilder<AppAbility>(createMongoAbility);
    const roles = this.options.abilities.roles as Record<string, (b: typeof builder, c: object) => void>;
    for (const role of user.roles) {
      // An unknown role grants nothing (fail closed), it does not fail the request.
      if (Object.hasOwn(roles, role)) roles[role]!(builder, { user, workspaceId });
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
      throw new AbilityDefinitionError(`The rule "${rule}" has an undefined condition value at "${at}"; use null or leave the rule out.`);
    }
    if (typeof value === 'object') assertDefinedValues(value, rule, at);
  }
}
