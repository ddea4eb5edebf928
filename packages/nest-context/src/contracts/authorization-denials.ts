/**
 * The authorization-denial contract between a package that refuses requests (@acme/nest-casl)
 * and packages that record them (@acme/nest-audit): the token, the event and the codes live
 * here so that neither imports the other or re-declares it by string.
 */

/**
 * Why a request was refused, Title Case like every value the suite stores: 'Forbidden' (403),
 * 'Not Found' (404, a row the user may not read), 'No Policy' (403, a route without a policy),
 * 'Unauthenticated' (401).
 */
export type DenialKind = 'Forbidden' | 'Not Found' | 'No Policy' | 'Unauthenticated';

/** The stable error code of each kind of denial, as HTTP bodies and audit entries carry it. */
export const DENIAL_CODES = {
  Forbidden: 'CASL_FORBIDDEN',
  'Not Found': 'CASL_NOT_FOUND',
  'No Policy': 'CASL_NO_POLICY',
  Unauthenticated: 'CASL_UNAUTHENTICATED',
} as const satisfies Record<DenialKind, string>;

/** One authorization denial. */
export interface AuthorizationDenied {
  kind: DenialKind;
  /** The refused action ('Read', 'Update', ...), null when the route had none. */
  action: string | null;
  subject: string | null;
  userId: string | null;
  workspaceId: string | null;
  requestId: string | null;
  /** `Controller.handler` of the refused route; null outside a guarded request. */
  handler: string | null;
}

export type AuthorizationDenialListener = (event: AuthorizationDenied) => void | Promise<void>;

/** What the provider under {@link AUTHORIZATION_DENIALS} offers: listeners never fail a request. */
export interface AuthorizationDenials {
  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: AuthorizationDenialListener): () => void;
}

/**
 * DI token of the app's {@link AuthorizationDenials} (provided by @acme/nest-casl's `CaslModule`).
 * Look it up with `moduleRef.get(AUTHORIZATION_DENIALS, { strict: false })`; absent when no
 * package emits denials.
 */
export const AUTHORIZATION_DENIALS = Symbol.for('@acme/nest-context:authorization-denials');
