import { z } from 'zod';
import { isoDateTime, UserSummary, WorkspaceSummary } from '../common.ts';
import { Role } from '../enums.ts';

/** Returned by register, login, refresh and workspace switch. */
export const AuthSessionView = z
  .object({
    token_type: z.literal('Bearer'),
    access_token: z.string(),
    /** Seconds until the access token expires. */
    expires_in: z.int().positive(),
    refresh_token: z.string(),
    refresh_expires_at: isoDateTime(),
    user: UserSummary,
    workspace: WorkspaceSummary,
    role: Role,
  })
  .meta({ id: 'AuthSessionView' });
export type AuthSessionView = z.infer<typeof AuthSessionView>;

export const LogoutView = z.object({ status: z.literal('Signed Out') }).meta({ id: 'LogoutView' });
export type LogoutView = z.infer<typeof LogoutView>;
