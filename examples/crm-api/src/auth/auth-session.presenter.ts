import { definePresenter } from '@acme/nest-view-presenter';
import { AuthSessionView, type Role } from '@acme-examples/crm-contracts';
import { toUserSummary } from '../common/user-summary';
import type { UserRow, WorkspaceRow } from '../database/schema';

export interface AuthSession {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresAt: Date;
  user: UserRow;
  workspace: WorkspaceRow;
  role: Role;
}

export const AuthSessionPresenter = definePresenter(AuthSessionView, (session: AuthSession) => ({
  token_type: 'Bearer' as const,
  access_token: session.accessToken,
  expires_in: session.expiresIn,
  refresh_token: session.refreshToken,
  refresh_expires_at: session.refreshExpiresAt.toISOString(),
  user: toUserSummary(session.user),
  workspace: { id: session.workspace.id, name: session.workspace.name, slug: session.workspace.slug },
  role: session.role,
}));
