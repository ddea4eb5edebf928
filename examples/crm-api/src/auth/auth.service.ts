import { Audit, AuditService } from '@acme/nest-audit';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { LoginInput, RegisterInput, Role } from '@acme-examples/crm-contracts';
import { ContextService } from '@acme/nest-context';
import { ApiError } from '../common/api-error';
import type { Env } from '../config/env.schema';
import type { UserRow, WorkspaceRow } from '../database/schema';
import { AccessTokenService } from './access-token.service';
import type { AuthSession } from './auth-session.presenter';
import { IdentityDirectory } from './identity.directory';
import { PasswordHasher } from './password-hasher';
import { PasswordPolicy } from './password-policy';
import { RefreshTokenStore } from './refresh-token.store';

/** Sign-up, sign-in, token rotation, sign-out and workspace switch. */
@Injectable()
export class AuthService {
  private readonly refreshTtlDays: number;

  constructor(
    private readonly identity: IdentityDirectory,
    private readonly hasher: PasswordHasher,
    private readonly passwordPolicy: PasswordPolicy,
    private readonly accessTokens: AccessTokenService,
    private readonly refreshTokens: RefreshTokenStore,
    private readonly audit: AuditService,
    private readonly context: ContextService,
    config: ConfigService<Env, true>,
  ) {
    this.refreshTtlDays = config.get('REFRESH_TOKEN_TTL_DAYS');
  }

  @Audit({ action: 'Register', subject: 'User' })
  async register(input: RegisterInput): Promise<AuthSession> {
    this.passwordPolicy.assertAcceptable(input.password, { email: input.email, name: input.name, workspaceName: input.workspace_name });
    if (await this.identity.userByEmail(input.email)) {
      throw new ApiError('EMAIL_TAKEN', 'An account with this email exists: sign in instead.');
    }
    const passwordHash = await this.hasher.hash(input.password);
    // A registration racing this one for the same email fails on users_email_key: the
    // exception filter answers it as 409 EMAIL_TAKEN.
    const created = await this.identity.createUserWithWorkspace({ email: input.email, name: input.name, passwordHash, workspaceName: input.workspace_name });
    this.audit.describe({ subjectId: created.user.id });
    return this.openSession(created.user, created.workspace, created.role);
  }

  @Audit({ action: 'Sign In', subject: 'User' })
  async login(input: LoginInput): Promise<AuthSession> {
    const user = await this.identity.userByEmail(input.email);
    if (user) this.audit.describe({ subjectId: user.id });
    const valid = user ? await this.hasher.verify(user.passwordHash, input.password) : await this.hasher.verifyDummy(input.password);
    if (!user || !valid) throw new ApiError('INVALID_CREDENTIALS', 'Email or password is wrong.');
    const all = await this.identity.membershipsOf(user.id);
    const chosen = input.workspace_id ? all.find((m) => m.workspace.id === input.workspace_id) : all[0];
    if (!chosen) throw new ApiError('WORKSPACE_NOT_FOUND', 'You are not a member of that workspace.');
    return this.openSession(user, chosen.workspace, chosen.role);
  }

  /** Rotates a refresh token; a reused one revokes its whole family. */
  @Audit({ action: 'Refresh', subject: 'Session' })
  async refresh(token: string): Promise<AuthSession> {
    const result = await this.refreshTokens.consume(token);
    if (result.kind === 'Invalid') throw new ApiError('REFRESH_TOKEN_INVALID', 'The refresh token is invalid or expired: sign in again.');
    if (result.kind === 'Reused') {
      // A security event the workspace's admins should see in its audit trail.
      this.context.update({ workspaceId: result.previous.workspaceId, actor: { kind: 'User', id: result.previous.userId } });
      this.audit.describe({ subjectId: result.previous.familyId, metadata: { reason: 'refresh token reuse: family revoked' } });
      throw new ApiError('REFRESH_TOKEN_REUSED', 'This refresh token was already used; every session it started is now signed out. Sign in again.');
    }
    const { userId, workspaceId, familyId } = result.previous;
    this.audit.describe({ subjectId: familyId });
    const user = await this.identity.userById(userId);
    const membership = user ? await this.identity.membership(userId, workspaceId) : undefined;
    if (!user || !membership) {
      await this.refreshTokens.revokeFamily(familyId);
      throw new ApiError('REFRESH_TOKEN_INVALID', 'The account no longer has access to this workspace: sign in again.');
    }
    return this.openSession(user, membership.workspace, membership.role, familyId);
  }

  /**
   * Revokes the session (refresh-token family) of `token` when it is `userId`'s. Another user's
   * token is treated as an unknown one: nothing is revoked and the answer is the same, so the
   * route neither signs anyone else out nor tells whether a token exists.
   */
  @Audit({ action: 'Sign Out', subject: 'Session' })
  async logout(userId: string, token: string): Promise<void> {
    this.context.update({ actor: { kind: 'User', id: userId } });
    const revoked = await this.refreshTokens.revokeOwnedBy(userId, token);
    if (revoked) {
      this.audit.describe({ subjectId: revoked.familyId });
      this.context.update({ workspaceId: revoked.workspaceId });
    }
  }

  /** A new session in another workspace, after checking membership there (404 when not a member). */
  @Audit({ action: 'Switch Workspace', subject: 'Session' })
  async switchWorkspace(userId: string, workspaceId: string): Promise<AuthSession> {
    const user = await this.identity.userById(userId);
    const membership = user ? await this.identity.membership(userId, workspaceId) : undefined;
    if (!user || !membership) throw new ApiError('WORKSPACE_NOT_FOUND', 'You are not a member of that workspace.');
    return this.openSession(user, membership.workspace, membership.role);
  }

  private async openSession(user: UserRow, workspace: WorkspaceRow, role: Role, familyId?: string): Promise<AuthSession> {
    // From here on the request acts as this user in this workspace: logs and the audit entry say so.
    this.context.update({ workspaceId: workspace.id, actor: { kind: 'User', id: user.id } });
    // The subject id is the caller's: the user for Register and Sign In, the family for Refresh.
    this.audit.describe({ metadata: { role } });
    const accessToken = await this.accessTokens.sign({ sub: user.id, workspace_id: workspace.id, roles: [role], name: user.name });
    const refresh = await this.refreshTokens.issue({ userId: user.id, workspaceId: workspace.id, ttlDays: this.refreshTtlDays, familyId });
    return {
      accessToken,
      expiresIn: this.accessTokens.ttlSeconds,
      refreshToken: refresh.token,
      refreshExpiresAt: refresh.expiresAt,
      user,
      workspace,
      role,
    };
  }
}
