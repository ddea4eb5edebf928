import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import type { Role } from '@acme-examples/crm-contracts';
import type { Env } from '../config/env.schema';

/** Claims of an access token. `workspace_id` and `roles` are read by TenancyGuard and PoliciesGuard. */
export interface AccessClaims {
  sub: string;
  workspace_id: string;
  roles: Role[];
  name: string;
}

/** Short-lived HS256 access tokens. */
@Injectable()
export class AccessTokenService {
  readonly ttlSeconds: number;

  constructor(
    private readonly jwt: JwtService,
    config: ConfigService<Env, true>,
  ) {
    this.ttlSeconds = config.get('ACCESS_TOKEN_TTL_SECONDS');
  }

  sign(claims: AccessClaims): Promise<string> {
    return this.jwt.signAsync({ ...claims }, { expiresIn: this.ttlSeconds });
  }

  /** The verified claims, or null for a bad, expired or malformed token. */
  async verify(token: string): Promise<AccessClaims | null> {
    try {
      const claims = await this.jwt.verifyAsync<Record<string, unknown>>(token, { algorithms: ['HS256'] });
      if (typeof claims.sub !== 'string' || typeof claims.workspace_id !== 'string' || !Array.isArray(claims.roles)) return null;
      return claims as unknown as AccessClaims;
    } catch {
      return null;
    }
  }
}
