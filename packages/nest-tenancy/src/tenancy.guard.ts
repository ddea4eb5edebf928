import { ContextService, isUuid, isUsableIdentity } from '@acme/nest-context';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
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
    if (this.options.isMember && !(await this.options.isMember({ userId: actorId, workspaceId, request }))) {
      throw new WorkspaceNotFoundException();
    }
    const current = this.context.require();
    this.context.update({ workspaceId, actor: actorId ? { kind: 'User', id: actorId } : current.actor });
    return true;
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
