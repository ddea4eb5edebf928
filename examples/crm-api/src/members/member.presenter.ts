import { definePresenter, iso } from '@acme/nest-view-presenter';
import { MemberView } from '@acme-examples/crm-contracts';
import { toUserSummary } from '../common/user-summary';
import type { MembershipRow, UserRow } from '../database/schema';

export type MemberRow = MembershipRow & { user: UserRow };

export const MemberPresenter = definePresenter(MemberView, (row: MemberRow, ctx: { currentUserId: string }) => ({
  id: row.id,
  user: toUserSummary(row.user),
  role: row.role,
  is_current_user: row.userId === ctx.currentUserId,
  joined_at: iso(row.createdAt),
}));
