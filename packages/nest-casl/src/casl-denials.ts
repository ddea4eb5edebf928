import type {
  AuthorizationDenialListener,
  AuthorizationDenials,
  AuthorizationDenied as ContextAuthorizationDenied,
  DenialKind as ContextDenialKind,
} from '@acme/nest-context';
import { Injectable, Logger } from '@nestjs/common';
import type { CaslAction } from './casl.types';

/** @deprecated Import `DenialKind` from `@acme/nest-context`; this alias goes in the next minor release. */
export type DenialKind = ContextDenialKind;
/** @deprecated Import `AuthorizationDenied` from `@acme/nest-context`; this alias goes in the next minor release. */
export type AuthorizationDenied = ContextAuthorizationDenied;
/** @deprecated Import `AuthorizationDenialListener` from `@acme/nest-context`; this alias goes in the next minor release. */
export type DenialListener = AuthorizationDenialListener;

/**
 * The same provider as nest-context's `AUTHORIZATION_DENIALS`, under this package's former token.
 * @deprecated Use `AUTHORIZATION_DENIALS` from `@acme/nest-context`; this token goes in the next minor release.
 */
export const CASL_DENIALS = Symbol.for('@acme/nest-casl:denials');

/**
 * Fan-out of the app's authorization denials (`AuthorizationDenied` events), provided under
 * nest-context's `AUTHORIZATION_DENIALS`, where `@acme/nest-audit` finds it. Listeners never fail
 * a request: they run on a later microtask and their errors are logged.
 */
@Injectable()
export class CaslDenials implements AuthorizationDenials {
  private readonly listeners = new Set<AuthorizationDenialListener>();
  private readonly logger = new Logger('CaslDenials');

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: AuthorizationDenialListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Hands `event` to every listener. */
  emit(event: ContextAuthorizationDenied): void {
    for (const listener of this.listeners) {
      Promise.resolve()
        .then(() => listener(event))
        .catch((error: unknown) => this.logger.error({ msg: 'denial listener failed', error: String(error) }));
    }
  }
}

/** What an ability built by `AbilityFactory` reports its instance-level denials to. */
export type DenialReporter = (kind: ContextDenialKind, action: CaslAction, subject: string) => void;

// On the ability itself, so `assertCan` needs no DI and works with every ability the factory of
// any app built (Symbol.for: a duplicated package copy still finds it).
const DENIAL_REPORTER = Symbol.for('@acme/nest-casl:denial-reporter');

/** Lets `assertCan` report this ability's denials (the factory calls it when `CaslDenials` exists). */
export function attachDenialReporter(ability: object, reporter: DenialReporter): void {
  Object.defineProperty(ability, DENIAL_REPORTER, { value: reporter, enumerable: false, configurable: true });
}

/** Reports a denial through the ability's reporter; a no-op for abilities built outside `CaslModule`. */
export function reportDenial(ability: object, kind: ContextDenialKind, action: CaslAction, subject: string): void {
  (ability as { [DENIAL_REPORTER]?: DenialReporter })[DENIAL_REPORTER]?.(kind, action, subject);
}
