import { Injectable, Logger } from '@nestjs/common';
import type { CaslAction } from './casl.types';

/** Why a request was refused, Title Case like every value the suite stores. */
export type DenialKind = 'Forbidden' | 'Not Found' | 'No Policy' | 'Unauthenticated';

/** An authorization denial, for audit trails (@acme/nest-audit records it as a 'Failure'). */
export interface AuthorizationDenied {
  kind: DenialKind;
  action: CaslAction | null;
  subject: string | null;
  userId: string | null;
  workspaceId: string | null;
  requestId: string | null;
  /** `Controller.handler` of the refused route. */
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
