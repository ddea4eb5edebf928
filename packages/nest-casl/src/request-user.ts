import type { CaslRequest } from './casl.options';
import type { AbilityUser } from './casl.types';

/** Longest user id, role name or roles version `PoliciesGuard` accepts, in UTF-16 code units. */
export const MAX_IDENTIFIER_LENGTH = 256;

// Identifiers (id, roles, roles version): no control (C0, DEL, C1), invisible format character
// (zero-width space, bidi overrides, BOM) or unpaired surrogate. In `u` mode \p{Cs} matches only
// a surrogate that is not half of a pair.
const NOT_IN_AN_IDENTIFIER = /[\p{Cc}\p{Cf}\p{Cs}]/u;
// Any other claim a rule may put in a condition: nothing Postgres refuses (NUL) or would store
// as another string (an unpaired surrogate becomes U+FFFD).
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /[\u0000\p{Cs}]/u;
const MAX_CLAIM_DEPTH = 8;

const isIdentifier = (value: unknown): boolean =>
  typeof value === 'string'
    ? value.length > 0 && value.length <= MAX_IDENTIFIER_LENGTH && !NOT_IN_AN_IDENTIFIER.test(value)
    : typeof value === 'number' && Number.isSafeInteger(value);

function isStorable(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return !UNSTORABLE.test(value);
  if (typeof value === 'number') return Number.isFinite(value);
  if (value === null || typeof value !== 'object') return true;
  if (depth >= MAX_CLAIM_DEPTH) return false;
  return Object.entries(value).every(([key, item]) => !UNSTORABLE.test(key) && isStorable(item, depth + 1));
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
