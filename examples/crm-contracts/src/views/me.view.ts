import { z } from 'zod';
import { UserSummary, WorkspaceSummary } from '../common.ts';
import { Role } from '../enums.ts';

/** What the current role may do with one kind of record: the frontend hides buttons with it. */
export const Permissions = z.object({ read: z.boolean(), create: z.boolean(), update: z.boolean(), delete: z.boolean() }).meta({ id: 'Permissions' });

export const MeView = z
  .object({
    user: UserSummary,
    workspace: WorkspaceSummary,
    role: Role,
    workspaces: z.array(z.object({ workspace: WorkspaceSummary, role: Role, is_current: z.boolean() })),
    permissions: z.object({
      companies: Permissions,
      contacts: Permissions,
      deals: Permissions,
      members: Permissions,
      audit: Permissions,
    }),
  })
  .meta({ id: 'MeView' });
export type MeView = z.infer<typeof MeView>;
