import { ContextService, isUuid, isUsableIdentity } from '@acme/nest-context';
import { Inject, Injectable, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { applyClaims, askWithoutSideEffects, membershipAnswer } from './membership';
import { TenancyMembershipCache, type MembershipAnswer } from './membership-cache';
import { SKIP_TENANCY } from './skip-tenancy.decorator';
import { RESOLVED_TENANCY_OPTIONS, type ResolvedTenancyOptions } from './resolve-tenancy-options';
import type { TenancyRequest } from './tenancy.options';
import { UserInvalidException, WorkspaceInvalidException, WorkspaceNotFoundException, WorkspaceRequiredException } from './tenancy.errors';

/**
 * Puts the request in its workspace: resolves the workspace (a JWT claim by default), checks
 * membership, and writes workspace and actor into the request context. Register it after your
 * authentication guard (globally: `{ provide: APP_GUARD, useClass: TenancyGuard }`).
 * Missing workspace -> 401, malformed -> 400, unusable user id -> 401, not a member -> 404:
 * request input never reaches `isMember`, the database or the context unchecked.
 */
@Injectable()
export class TenancyGuard implements CanActivate {
  constructor(
    @Inject(RESOLVED_TENANCY_OPTIONS) private readonly options: ResolvedTenancyOptions,
    private readonly reflector: Reflector,
    private readonly context: ContextService,
    @Optional() @Inject(TenancyMembershipCache) private readonly memberships?: TenancyMembershipCache,
  ) {}

  async canActivate(execution: ExecutionContext): Promise<boolean> {
    if (execution.getType() !== 'http') return true;
    if (this.reflector.getAllAndOverride<boolean>(SKIP_TENANCY, [execution.getHandler(), execution.getClass()])) {
      return true;
    }
    const request = execution.switchToHttp().getRequest<TenancyRequest>();
    const resolved = await this.options.resolveWorkspace(request);
    if (resolved === undefined || resolved === null || resolved === '') throw new WorkspaceRequiredException();
    if (!isUuid(resolved)) throw new WorkspaceInvalidException();
    // One spelling per workspace: ids from the database are lower case, and so are cache keys,
    // ability keys and audit entries built from the context.
    const workspaceId = resolved.toLowerCase();

    const actorId = this.actorIdOf(request.user?.[this.options.userIdClaim]);
    if (this.options.isMember) {
      const membership = await this.membership(actorId, workspaceId, request);
      if (!membership.member) throw new WorkspaceNotFoundException();
      if (membership.claims) applyClaims(request, membership.claims);
    }
    const current = this.context.require();
    this.context.update({ workspaceId, actor: actorId ? { kind: 'User', id: actorId } : current.actor });
    return true;
  }

  /** `isMember`'s answer, from the membership cache when it is on (signed-in users only). */
  private membership(userId: string | null, workspaceId: string, request: TenancyRequest): Promise<MembershipAnswer> {
    const isMember = this.options.isMember!;
    const cache = this.memberships?.enabled ? this.memberships : undefined;
    if (!cache) return Promise.resolve(isMember({ userId, workspaceId, request })).then(membershipAnswer);
    const ask = async () => membershipAnswer(await askWithoutSideEffects(request, async () => isMember({ userId, workspaceId, request })));
    return userId === null ? ask() : cache.resolve(userId, workspaceId, ask);
  }

  /** The user id as a string, null without one; 401 for one no identity provider would issue. */
  private actorIdOf(userId: unknown): string | null {
    if (typeof userId === 'number') {
      if (!Number.isSafeInteger(userId)) throw new UserInvalidException();
      return String(userId);
    }
    if (typeof userId !== 'string') return null;
    if (!isUsableIdentity(userId)) throw new UserInvalidException();
    return userId;
  }
}
