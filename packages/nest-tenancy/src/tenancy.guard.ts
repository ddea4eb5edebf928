import { ContextService } from '@acme/nest-context';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SKIP_TENANCY } from './skip-tenancy.decorator';
import { TENANCY_MODULE_OPTIONS } from './tenancy.module-definition';
import type { TenancyModuleOptions, TenancyRequest } from './tenancy.options';
import { WorkspaceInvalidException, WorkspaceNotFoundException, WorkspaceRequiredException } from './tenancy.errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Puts the request in its workspace: resolves the workspace (a JWT claim by default), checks
 * membership, and writes workspace and actor into the request context. Register it after your
 * authentication guard (globally: `{ provide: APP_GUARD, useClass: TenancyGuard }`).
 * Missing workspace -> 401, malformed -> 400, not a member -> 404.
 */
@Injectable()
export class TenancyGuard implements CanActivate {
  private readonly workspaceClaim: string;
  private readonly userIdClaim: string;

  constructor(
    @Inject(TENANCY_MODULE_OPTIONS) private readonly options: TenancyModuleOptions,
    private readonly reflector: Reflector,
    private readonly context: ContextService,
  ) {
    this.workspaceClaim = options.workspaceClaim ?? 'workspace_id';
    this.userIdClaim = options.userIdClaim ?? 'sub';
  }

  async canActivate(execution: ExecutionContext): Promise<boolean> {
    if (execution.getType() !== 'http') return true;
    if (this.reflector.getAllAndOverride<boolean>(SKIP_TENANCY, [execution.getHandler(), execution.getClass()])) {
      return true;
    }
    const request = execution.switchToHttp().getRequest<TenancyRequest>();
    const workspaceId = this.options.resolveWorkspace
      ? await this.options.resolveWorkspace(request)
      : request.user?.[this.workspaceClaim];
    if (workspaceId === undefined || workspaceId === null || workspaceId === '') throw new WorkspaceRequiredException();
    if (typeof workspaceId !== 'string' || !UUID.test(workspaceId)) throw new WorkspaceInvalidException();

    const userId = request.user?.[this.userIdClaim];
    const actorId = typeof userId === 'string' || typeof userId === 'number' ? String(userId) : null;
    if (this.options.isMember && !(await this.options.isMember({ userId: actorId, workspaceId, request }))) {
      throw new WorkspaceNotFoundException();
    }
    const current = this.context.require();
    this.context.update({ workspaceId, actor: actorId ? { kind: 'User', id: actorId } : current.actor });
    return true;
  }
}
