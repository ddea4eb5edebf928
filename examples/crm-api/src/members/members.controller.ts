import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CheckAbility } from '@acme/nest-casl';
import { Page, ViewResponse } from '@acme/nest-view-presenter';
import { MemberView } from '@acme-examples/crm-contracts';
import type { AccessClaims } from '../auth/access-token.service';
import { IdParam } from '../common/id-param';
import { AddMemberDto, ListMembersQueryDto, UpdateMemberDto } from './member.dto';
import { MemberPresenter } from './member.presenter';
import { MembersService } from './members.service';

type AuthedRequest = { user: AccessClaims };

@ApiTags('Members')
@ApiBearerAuth()
@Controller('members')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  @Get()
  @CheckAbility('Read', 'Member')
  @ViewResponse(Page(MemberView))
  async list(@Query() query: ListMembersQueryDto, @Req() request: AuthedRequest) {
    const page = await this.members.list(query);
    return MemberPresenter.toPage(page.rows, { total: page.total, next_cursor: page.nextCursor }, { currentUserId: request.user.sub });
  }

  @Get(':id')
  @CheckAbility('Read', 'Member')
  @ViewResponse(MemberView)
  async get(@IdParam() id: string, @Req() request: AuthedRequest) {
    return MemberPresenter.toView(await this.members.get(id), { currentUserId: request.user.sub });
  }

  @Post()
  @CheckAbility('Create', 'Member')
  @ViewResponse(MemberView, { status: 201 })
  async add(@Body() body: AddMemberDto, @Req() request: AuthedRequest) {
    return MemberPresenter.toView(await this.members.add(body), { currentUserId: request.user.sub });
  }

  @Patch(':id')
  @CheckAbility('Update', 'Member')
  @ViewResponse(MemberView)
  async changeRole(@IdParam() id: string, @Body() body: UpdateMemberDto, @Req() request: AuthedRequest) {
    return MemberPresenter.toView(await this.members.changeRole(id, body.role), { currentUserId: request.user.sub });
  }

  @Delete(':id')
  @HttpCode(204)
  @CheckAbility('Delete', 'Member')
  async remove(@IdParam() id: string): Promise<void> {
    await this.members.remove(id);
  }
}
