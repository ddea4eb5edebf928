import { Injectable, Logger } from '@nestjs/common';
import type { CaslAction } from './casl.types';

/**
 * Why a request was refused, Title Case like every value the suite stores: 'Forbidden' (403,
 * `PoliciesGuard` or `assertCan`), 'Not Found' (404, `assertCan` on a row the user may not read),
 * 'No Policy' (403, a route without `@CheckAbility`), 'Unauthenticated' (401).
 */
export type DenialKind = 'Forbidden' | 'Not Found' | 'No Policy' | 'Unauthenticated';

/** An authorization denial, for audit trails (@acme/nest-audit records it as a 'Failure'). */
export interface AuthorizationDenied {
  kind: DenialKind;
  action: CaslAction | null;
  subject: string | null;
  userId: string | null;
  workspaceId: string | null;
  requestId: string | null;
  /**
   * `Controller.handler` of the refused route (for `assertCan`, the route `PoliciesGuard` built
   * the ability for); null outside a guarded request.
   */
  handler: string | null;
}

export type DenialListener = (event: AuthorizationDenied) => void | Promise<void>;

/**
 * DI token other packages use to listen without importing this one
 * (`moduleRef.get(CASL_DENIALS, { strict: false })`).
 */
export const CASL_DENIALS = Symbol.for('@acme/nest-casl:denials');

/** Fan-out of denial events. Listeners never fail a request: their errors are logged. */
@Injectable()
export class CaslDenials {
  private readonly listeners = new Set<DenialListener>();
  private readonly logger = new Logger('CaslDenials');

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: DenialListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: AuthorizationDenied): void {
    for (const listener of this.listeners) {
      Promise.resolve()
        .then(() => listener(event))
        .catch((error: unknown) => this.logger.error({ msg: 'denial listener failed', error: String(error) }));
    }
  }
}

/** What an ability built by `AbilityFactory` reports its instance-level denials to. */
export type DenialReporter = (kind: DenialKind, action: CaslAction, subject: string) => void;

// On the ability itself, so `assertCan` needs no DI and works with every ability the factory of
// any app built (Symbol.for: a duplicated package copy still finds it).
const DENIAL_REPORTER = Symbol.for('@acme/nest-casl:denial-reporter');

/** Lets `assertCan` report this ability's denials (the factory calls it when `CaslDenials` exists). */
export function attachDenialReporter(ability: object, reporter: DenialReporter): void {
  Object.defineProperty(ability, DENIAL_REPORTER, { value: reporter, enumerable: false, configurable: true });
}

/** Reports a denial through the ability's reporter; a no-op for abilities built outside `CaslModule`. */
export function reportDenial(ability: object, kind: DenialKind, action: CaslAction, subject: string): void {
  (ability as { [DENIAL_REPORTER]?: DenialReporter })[DENIAL_REPORTER]?.(kind, action, subject);
}
