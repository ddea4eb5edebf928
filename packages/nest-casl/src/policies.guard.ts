import { ContextService, DENIAL_CODES, type AuthorizationDenied } from '@acme/nest-context';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AbilityFactory } from './ability.factory';
import { CaslDenials } from './casl-denials';
import { AccessForbiddenException, InvalidUserException, UnauthenticatedException } from './casl.errors';
import type { CaslRequest } from './casl.options';
import { CHECK_ABILITY, SKIP_ABILITY_CHECK, type AbilityRequirement } from './check-ability.decorator';
import { REQUEST_ABILITY } from './current-ability.decorator';
import { decideAndLog } from './decision-log';
import { isUsableUser, UNUSABLE_USER } from './request-user';
import { RESOLVED_CASL_OPTIONS, type ResolvedCaslOptions } from './resolve-casl-options';

/**
 * Enforces `@CheckAbility` on every route it guards and denies routes that have none unless
 * they are `@SkipAbilityCheck()` (fail closed). A user that `resolveUser` returns with an unusable
 * id, role or claim (NUL, control or invisible characters, over 256 characters) is a 401
 * `CASL_USER_INVALID`. Register it globally after authentication and
 * tenancy: `{ provide: APP_GUARD, useClass: PoliciesGuard }`. With the `decisionLog` option, each
 * check also records which rule decided it (nest-context's `AUTHORIZATION_DECISIONS`).
 */
@Injectable()
export class PoliciesGuard implements CanActivate {
  constructor(
    @Inject(RESOLVED_CASL_OPTIONS) private readonly options: ResolvedCaslOptions,
    private readonly reflector: Reflector,
    private readonly abilities: AbilityFactory,
    private readonly denials: CaslDenials,
    private readonly context: ContextService,
  ) {}

  canActivate(execution: ExecutionContext): boolean {
    const { skip, requirements, handler } = this.policyOf(execution);
    if (skip) return true;
    const request = execution.switchToHttp().getRequest<CaslRequest & Record<symbol, unknown>>();
    const resolved = this.options.resolveUser(request) ?? null;
    if (resolved === UNUSABLE_USER || (resolved && !isUsableUser(resolved))) {
      // Named nowhere: not in the event, not in the cache, not in a query.
      const [action, subject] = requirements?.[0] ?? [null, null];
      this.deny({ kind: 'Unauthenticated', action, subject, userId: null, handler });
      throw new InvalidUserException();
    }
    const user = resolved;

    if (!requirements?.length) {
      this.deny({ kind: 'No Policy', action: null, subject: null, userId: user?.id ?? null, handler });
      throw new AccessForbiddenException(
        'This route has no @CheckAbility and is not @SkipAbilityCheck, so it is closed: add one of them to the handler or its controller.',
        DENIAL_CODES['No Policy'],
      );
    }
    if (!user) {
      this.deny({ kind: 'Unauthenticated', action: requirements[0]![0], subject: requirements[0]![1], userId: null, handler });
      throw new UnauthenticatedException();
    }

    const ability = this.abilities.forContext(user);
    request[REQUEST_ABILITY] = ability;
    this.abilities.setCurrent(ability, handler);
    // The option is read once per request: off, the loop is `can` alone.
    const logDecisions = this.options.decisionLog;
    for (const [action, subject] of requirements) {
      if (logDecisions ? !decideAndLog(ability, action, subject) : !ability.can(action, subject)) {
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
        skip: this.reflector.getAllAndOverride<boolean>(SKIP_ABILITY_CHECK, targets) === true,
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
  skip: boolean;
  requirements: AbilityRequirement[] | undefined;
  handler: string;
}
