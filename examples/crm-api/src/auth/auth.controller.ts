import { Body, Controller, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CheckAbility } from '@acme/nest-casl';
import { ViewResponse } from '@acme/nest-view-presenter';
import { AuthSessionView, LogoutView } from '@acme-examples/crm-contracts';
import { SkipApiRateLimits } from '../throttling/api-rate-limits';
import { LoginThrottle } from '../throttling/login-throttle.service';
import { LoginThrottlerGuard } from '../throttling/login-throttler.guard';
import type { AccessClaims } from './access-token.service';
import { AuthSessionPresenter } from './auth-session.presenter';
import { LoginDto, LogoutDto, RefreshDto, RegisterDto, SwitchWorkspaceDto } from './auth.dto';
import { AuthService } from './auth.service';
import { AuthenticatedOnly, Public } from './public.decorator';

@ApiTags('Auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly loginThrottle: LoginThrottle,
  ) {}

  @Post('register')
  @Public()
  @ViewResponse(AuthSessionView, { status: 201 })
  async register(@Body() body: RegisterDto) {
    return AuthSessionPresenter.toView(await this.auth.register(body));
  }

  /** Limited per email and per client IP (LoginThrottlerGuard): past a limit, 429 with Retry-After. */
  @Post('login')
  @Public()
  // Limited by failed attempts (LoginThrottlerGuard), not by the API-wide limits.
  @SkipApiRateLimits()
  @UseGuards(LoginThrottlerGuard)
  @ApiResponse({
    status: 429,
    description: 'TOO_MANY_REQUESTS: too many failed sign-ins for this email or from this IP.',
    headers: { 'Retry-After': { description: 'Seconds until sign-in is accepted again', schema: { type: 'integer' } } },
  })
  @ViewResponse(AuthSessionView, { status: 200 })
  async login(@Body() body: LoginDto, @Req() request: object) {
    const session = await this.auth.login(body);
    await this.loginThrottle.refund(request);
    return AuthSessionPresenter.toView(session);
  }

  @Post('refresh')
  @Public()
  @ViewResponse(AuthSessionView, { status: 200 })
  async refresh(@Body() body: RefreshDto) {
    return AuthSessionPresenter.toView(await this.auth.refresh(body.refresh_token));
  }

  /** Signs out the caller's session of `refresh_token`; a token that is not the caller's is left alone (same answer). */
  @Post('logout')
  @ApiBearerAuth()
  @AuthenticatedOnly()
  @ViewResponse(LogoutView, { status: 200 })
  async logout(@Body() body: LogoutDto, @Req() request: { user: AccessClaims }) {
    await this.auth.logout(request.user.sub, body.refresh_token);
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
