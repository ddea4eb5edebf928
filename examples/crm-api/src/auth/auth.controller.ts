import { Body, Controller, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CheckAbility } from '@acme/nest-casl';
import { ViewResponse } from '@acme/nest-view-presenter';
import { AuthSessionView, LogoutView } from '@acme-examples/crm-contracts';
import type { AccessClaims } from './access-token.service';
import { AuthSessionPresenter } from './auth-session.presenter';
import { LoginDto, LogoutDto, RefreshDto, RegisterDto, SwitchWorkspaceDto } from './auth.dto';
import { AuthService } from './auth.service';
import { Public } from './public.decorator';

@ApiTags('Auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('register')
  @Public()
  @ViewResponse(AuthSessionView, { status: 201 })
  async register(@Body() body: RegisterDto) {
    return AuthSessionPresenter.toView(await this.auth.register(body));
  }

  @Post('login')
  @Public()
  @ViewResponse(AuthSessionView, { status: 200 })
  async login(@Body() body: LoginDto) {
    return AuthSessionPresenter.toView(await this.auth.login(body));
  }

  @Post('refresh')
  @Public()
  @ViewResponse(AuthSessionView, { status: 200 })
  async refresh(@Body() body: RefreshDto) {
    return AuthSessionPresenter.toView(await this.auth.refresh(body.refresh_token));
  }

  @Post('logout')
  @Public()
  @ViewResponse(LogoutView, { status: 200 })
  async logout(@Body() body: LogoutDto) {
    await this.auth.logout(body.refresh_token);
    return { status: 'Signed Out' as const };
  }

  @Post('switch-workspace')
  @ApiBearerAuth()
  @CheckAbility('Read', 'Profile')
  @ViewResponse(AuthSessionView, { status: 200 })
  async switchWorkspace(@Body() body: SwitchWorkspaceDto, @Req() request: { user: AccessClaims }) {
    return AuthSessionPresenter.toView(await this.auth.switchWorkspace(request.user.sub, body.workspace_id));
  }
}
