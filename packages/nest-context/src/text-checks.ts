// NUL (PostgreSQL text cannot hold it: the query fails) and unpaired surrogates (drivers send
// them as U+FFFD, so two different strings would name the same row). In `u` mode \p{Cs} matches
// only a surrogate that is not half of a pair.
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /[\u0000\p{Cs}]/u;
// ... and for identities also every control (C0, DEL, C1) and invisible format character
// (zero-width space, bidi overrides, BOM): nothing an identity provider issues.
const NOT_IN_AN_IDENTITY = /[\p{Cc}\p{Cf}\p{Cs}]/u;

/** Longest identity (user id, role name, roles version) the suite accepts, in UTF-16 code units. */
export const MAX_IDENTITY_LENGTH = 256;

/** Whether a string reaches PostgreSQL and comes back the same (no NUL, no unpaired surrogate). */
export function isStorableText(value: string): boolean {
  return !UNSTORABLE.test(value);
}

/**
 * Whether a string is usable as an identity (a user id, a role): non-empty, at most
 * {@link MAX_IDENTITY_LENGTH}, no control, invisible or unpaired-surrogate character. Identities
 * become cache keys, log fields, audit entries and SQL parameters, so one that two systems could
 * read differently is refused before it reaches any of them.
 */
export function isUsableIdentity(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_IDENTITY_LENGTH && !NOT_IN_AN_IDENTITY.test(value);
}
