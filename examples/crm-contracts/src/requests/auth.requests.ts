import { z } from 'zod';

// Request schemas are strict: an unknown field is a 400 VALIDATION_FAILED, not silently dropped.

/** OWASP: at least 12 characters for a password-only login; capped so hashing stays cheap. */
export const Password = z.string().min(12).max(256);

export const RegisterInput = z.strictObject({
  email: z.email().max(254),
  password: Password,
  name: z.string().trim().min(1).max(120),
  workspace_name: z.string().trim().min(1).max(120),
});
export type RegisterInput = z.infer<typeof RegisterInput>;

export const LoginInput = z.strictObject({
  email: z.email().max(254),
  password: z.string().min(1).max(256),
  /** The workspace to sign in to; default: the first one joined. */
  workspace_id: z.uuid().optional(),
});
export type LoginInput = z.infer<typeof LoginInput>;

export const RefreshInput = z.strictObject({ refresh_token: z.string().min(1).max(512) });
export type RefreshInput = z.infer<typeof RefreshInput>;

export const LogoutInput = RefreshInput;
export type LogoutInput = RefreshInput;

export const SwitchWorkspaceInput = z.strictObject({ workspace_id: z.uuid() });
export type SwitchWorkspaceInput = z.infer<typeof SwitchWorkspaceInput>;
