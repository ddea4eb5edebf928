import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiError } from '../common/api-error';
import { AccessTokenService } from './access-token.service';
import { IS_PUBLIC } from './public.decorator';

/**
 * First global guard: verifies the bearer token and puts its claims on `request.user`, where
 * TenancyGuard (workspace) and PoliciesGuard (roles) read them.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly tokens: AccessTokenService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(execution: ExecutionContext): Promise<boolean> {
    if (execution.getType() !== 'http') return true;
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [execution.getHandler(), execution.getClass()])) return true;
    const request = execution.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; user?: unknown }>();
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token) throw new ApiError('UNAUTHENTICATED', 'Send an access token: Authorization: Bearer <token>.');
    const claims = await this.tokens.verify(token);
    if (!claims) throw new ApiError('UNAUTHENTICATED', 'The access token is invalid or expired: refresh it or sign in again.');
    request.user = { ...claims };
    return true;
  }
}
