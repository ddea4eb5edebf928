import { ContextService } from '@acme/nest-context';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AbilityFactory } from './ability.factory';
import { CaslDenials, type AuthorizationDenied } from './casl-denials';
import { AccessForbiddenException, InvalidUserException, UnauthenticatedException } from './casl.errors';
import { CASL_MODULE_OPTIONS } from './casl.module-definition';
import type { CaslModuleOptions, CaslRequest } from './casl.options';
import type { AbilityUser } from './casl.types';
import { CHECK_ABILITY, PUBLIC_ROUTE, type AbilityRequirement } from './check-ability.decorator';
import { REQUEST_ABILITY } from './current-ability.decorator';
import { isUsableUser } from './request-user';

/**
 * Enforces `@CheckAbility` on every route it guards and denies routes that have none unless
 * they are `@PublicRoute()` (fail closed). A user that `resolveUser` returns with an unusable
 * id, role or claim (NUL, control or invisible characters, over 256 characters) is a 401
 * `CASL_USER_INVALID`. Register it globally after authentication and
 * tenancy: `{ provide: APP_GUARD, useClass: PoliciesGuard }`.
 */
@Injectable()
export class PoliciesGuard implements CanActivate {
  constructor(
    @Inject(CASL_MODULE_OPTIONS) private readonly options: CaslModuleOptions,
    private readonly reflector: Reflector,
    private readonly abilities: AbilityFactory,
    private readonly denials: CaslDenials,
    private readonly context: ContextService,
  ) {}

  canActivate(execution: ExecutionContext): boolean {
    const { isPublic, requirements, handler } = this.policyOf(execution);
    if (isPublic) return true;
    const request = execution.switchToHttp().getRequest<CaslRequest & Record<symbol, unknown>>();
    const resolved = (this.options.resolveUser ?? defaultUser)(request) ?? null;
    if (resolved === UNUSABLE || (resolved && !isUsableUser(resolved))) {
      // Named nowhere: not in the event, not in the cache, not in a query.
      const [action, subject] = requirements?.[0] ?? [null, null];
      this.deny({ kind: 'Unauthenticated', action, subject, userId: null, handler });
      throw new InvalidUserException();
    }
    const user = resolved;

    if (!requirements?.length) {
      this.deny({ kind: 'No Policy', action: null, subject: null, userId: user?.id ?? null, handler });
      throw new AccessForbiddenException(
        'This route has no @CheckAbility and is not @PublicRoute, so it is closed.',
        'CASL_NO_POLICY',
      );
    }
    if (!user) {
      this.deny({ kind: 'Unauthenticated', action: requirements[0]![0], subject: requirements[0]![1], userId: null, handler });
      throw new UnauthenticatedException();
    }

    const ability = this.abilities.forContext(user);
    request[REQUEST_ABILITY] = ability;
    this.abilities.setCurrent(ability, handler);
    for (const [action, subject] of requirements) {
      if (!ability.can(action, subject)) {
        this.deny({ kind: 'Forbidden', action, subject, userId: user.id, handler });
        throw new AccessForbiddenException();
      }
    }
    return true;
  }

  // Route metadata never changes after bootstrap: read it once per (handler, class).
  private readonly policies = new WeakMap<object, WeakMap<object, RoutePolicy>>();

  private policyOf(execution: ExecutionContext): RoutePolicy {
    const handler = execution.getHandler();
    const controller = execution.getClass();
    let byClass = this.policies.get(handler);
    let policy = byClass?.get(controller);
    if (!policy) {
      const targets = [handler, controller];
      policy = {
        isPublic: this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets) === true,
        requirements: this.reflector.getAllAndOverride<AbilityRequirement[]>(CHECK_ABILITY, targets),
        handler: `${controller.name}.${handler.name}`,
      };
      if (!byClass) this.policies.set(handler, (byClass = new WeakMap()));
      byClass.set(controller, policy);
    }
    return policy;
  }

  private deny(event: Omit<AuthorizationDenied, 'workspaceId' | 'requestId'>): void {
    const context = this.context.get();
    this.denials.emit({ ...event, workspaceId: context?.workspaceId ?? null, requestId: context?.requestId ?? null });
  }
}

interface RoutePolicy {
  isPublic: boolean;
  requirements: AbilityRequirement[] | undefined;
  handler: string;
}

// A numeric id JSON could not carry exactly (two users could parse to the same number).
const UNUSABLE = Symbol('unusable user');

/** `request.user` as most JWT strategies leave it: `sub` (or `id`), `roles`, `roles_version`. */
function defaultUser(request: CaslRequest): AbilityUser | null | typeof UNUSABLE {
  const claims = request.user;
  const id = claims?.sub ?? claims?.id;
  if (typeof id !== 'string' && typeof id !== 'number') return null;
  if (typeof id === 'number' && !Number.isSafeInteger(id)) return UNUSABLE;
  const roles = Array.isArray(claims?.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
  const version = claims?.roles_version;
  return {
    id: String(id),
    roles,
    ...(typeof version === 'string' || typeof version === 'number' ? { rolesVersion: version } : {}),
  };
}
