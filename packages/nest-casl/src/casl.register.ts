/**
 * Augment this interface once in your app to type subjects everywhere (`@CheckAbility`,
 * `defineAbilities`, `AppAbility`, `assertCan`, `permittedFields`, `accessibleBy`, `caslSubject`):
 * a misspelt subject becomes a compile error.
 *
 * @example
 * declare module '@acme/nest-casl' {
 *   interface CaslRegister { subjects: 'Company' | 'Contact' | 'Deal' }
 * }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface CaslRegister {}

/** The app's subject names (from `CaslRegister`), or any string until it is augmented. */
export type SubjectName = CaslRegister extends { subjects: infer S extends string } ? S : string;
