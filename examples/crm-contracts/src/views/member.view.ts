import { z } from 'zod';
import { isoDateTime, pageOf, UserSummary } from '../common.ts';
import { Role } from '../enums.ts';

export const MemberView = z
  .object({
    id: z.uuid(),
    user: UserSummary,
    role: Role,
    is_current_user: z.boolean(),
    joined_at: isoDateTime(),
  })
  .meta({ id: 'MemberView' });
export type MemberView = z.infer<typeof MemberView>;

export const MemberPage = pageOf(MemberView);
