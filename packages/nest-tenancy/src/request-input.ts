/** Longest user id the guard accepts, in UTF-16 code units. */
export const MAX_USER_ID_LENGTH = 256;

// NUL (Postgres text cannot hold it: the query fails) and unpaired surrogates (the driver sends
// them as U+FFFD, so two different strings would name the same row). In `u` mode \p{Cs} matches
// only a surrogate that is not half of a pair.
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /[\u0000\p{Cs}]/u;
// ... and for identities also every control (C0, DEL, C1) and invisible format character
// (zero-width space, bidi overrides, BOM): nothing an identity provider issues.
const NOT_IN_AN_ID = /[\p{Cc}\p{Cf}\p{Cs}]/u;

/** Whether a string reaches Postgres and comes back the same. */
export function isStorableText(value: string): boolean {
  return !UNSTORABLE.test(value);
}

/** Whether a user id is usable as an identity: non-empty, bounded, no control, invisible or unpaired characters. */
export function isUsableUserId(value: string): boolean {
  return value.length > 0 && value.length <= MAX_USER_ID_LENGTH && !NOT_IN_AN_ID.test(value);
}
