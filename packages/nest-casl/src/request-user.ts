import { isStorableText, isUsableIdentity } from '@acme/nest-context';
import type { CaslRequest } from './casl.options';
import type { AbilityUser } from './casl.types';

// Any claim a rule may put in a condition must be storable; deeper nesting than this is refused.
const MAX_CLAIM_DEPTH = 8;

// Identities (id, roles, roles version): nest-context's identity check, or a safe integer.
const isIdentifier = (value: unknown): boolean => isUsableIdentity(value) || (typeof value === 'number' && Number.isSafeInteger(value));

function isStorable(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return isStorableText(value);
  if (typeof value === 'number') return Number.isFinite(value);
  if (value === null || typeof value !== 'object') return true;
  if (depth >= MAX_CLAIM_DEPTH) return false;
  return Object.entries(value).every(([key, item]) => isStorableText(key) && isStorable(item, depth + 1));
}

/**
 * Whether the user a resolver returned can be used as it is: its id, roles and roles version
 * become cache keys, denial events, audit entries and (through rules such as
 * `{ ownerId: user.id }`) SQL parameters, and its other claims may too.
 */
export function isUsableUser(user: AbilityUser): boolean {
  const { id, roles, rolesVersion, ...claims } = user;
  return (
    typeof id === 'string' &&
    isIdentifier(id) &&
    Array.isArray(roles) &&
    roles.every(isIdentifier) &&
    (rolesVersion === undefined || isIdentifier(rolesVersion)) &&
    isStorable(claims)
  );
}

/**
 * What a resolver answers for a user it found but cannot represent exactly (a numeric id JSON
 * would round, so two users could share it): `PoliciesGuard` refuses it as `CASL_USER_INVALID`.
 */
export const UNUSABLE_USER: unique symbol = Symbol('@acme/nest-casl:unusable-user');

/** The default `resolveUser`: `request.user` as most JWT strategies leave it: `sub` (or `id`), `roles`, `roles_version`. */
export function userFromClaims(request: CaslRequest): AbilityUser | null | typeof UNUSABLE_USER {
  const claims = request.user;
  const id = claims?.sub ?? claims?.id;
  if (typeof id !== 'string' && typeof id !== 'number') return null;
  if (typeof id === 'number' && !Number.isSafeInteger(id)) return UNUSABLE_USER;
  const roles = Array.isArray(claims?.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
  const version = claims?.roles_version;
  return {
    id: String(id),
    roles,
    ...(typeof version === 'string' || typeof version === 'number' ? { rolesVersion: version } : {}),
  };
}
