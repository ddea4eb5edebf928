import { Controller, Get, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CheckAbility, CurrentAbility, type AppAbility } from '@acme/nest-casl';
import { CurrentWorkspace } from '@acme/nest-tenancy';
import { ViewResponse } from '@acme/nest-view-presenter';
import { MeView } from '@acme-examples/crm-contracts';
import { ApiError } from '../common/api-error';
import type { AccessClaims } from './access-token.service';
import { IdentityDirectory } from './identity.directory';
import { MePresenter } from './me.presenter';

@ApiTags('Me')
@ApiBearerAuth()
@Controller('me')
export class MeController {
  constructor(private readonly identity: IdentityDirectory) {}

  /** The signed-in user, their current workspace and role, every workspace they can switch to, and what they may do. */
  @Get()
  @CheckAbility('Read', 'Profile')
  @ViewResponse(MeView)
  async me(@Req() request: { user: AccessClaims }, @CurrentWorkspace() workspaceId: string, @CurrentAbility() ability: AppAbility) {
    const [user, memberships] = await Promise.all([this.identity.userById(request.user.sub), this.identity.membershipsOf(request.user.sub)]);
    const current = memberships.find((m) => m.workspace.id === workspaceId);
    if (!user || !current) throw new ApiError('UNAUTHENTICATED', 'The account no longer exists or left this workspace: sign in again.');
    return MePresenter.toView({ user, workspaceId, role: current.role, memberships, ability });
  }
}
