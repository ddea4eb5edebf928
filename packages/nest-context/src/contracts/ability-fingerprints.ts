/**
 * The permission-fingerprint contract between the package that knows the caller's abilities
 * (@acme/nest-casl) and packages that must not share data between callers whose permissions
 * differ (@acme/nest-cache keys entries by it): the token lives here so that neither imports
 * the other.
 */

/** What the provider under {@link ABILITY_FINGERPRINTS} offers. */
export interface AbilityFingerprints {
  /**
   * A stable digest of the current caller's rules that can apply to `subject` (actions,
   * conditions with their values, fields, inverted rules, in order). Two callers get the same
   * fingerprint only when those rules are identical, so whatever one may see on `subject` the
   * other may see too. Null when the current context has no caller to compute abilities for
   * (a job, a system task, an anonymous request).
   */
  forSubject(subject: string): Promise<string | null>;
}

/**
 * DI token of the app's {@link AbilityFingerprints} (provided by @acme/nest-casl's `CaslModule`).
 * Look it up with `moduleRef.get(ABILITY_FINGERPRINTS, { strict: false })`; absent when the app
 * has no abilities.
 */
export const ABILITY_FINGERPRINTS = Symbol.for('@acme/nest-context:ability-fingerprints');
