import { AUTHORIZATION_DENIALS, DENIAL_CODES, type AuthorizationDenials } from '@acme/nest-context';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { currentAuditCall } from './audit-call';
import { AuditService } from './audit.service';

/**
 * When @acme/nest-casl is in the app, records each authorization denial as a 'Failure' entry
 * (the guarded method never ran, so @Audit could not). Listeners run in the refused request's
 * context, so with casl's `decisionLog` the entry carries the decision that refused it (and any
 * before it) in `metadata.authorization`, as every entry of the request does.
 */
@Injectable()
export class AuditDenials implements OnModuleInit {
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly audit: AuditService,
  ) {}

  onModuleInit(): void {
    let denials: AuthorizationDenials | undefined;
    try {
      denials = this.moduleRef.get<AuthorizationDenials>(AUTHORIZATION_DENIALS, { strict: false });
    } catch {
      return; // no @acme/nest-casl in this app
    }
    denials?.subscribe((event) => {
      // Refused inside an audited method (an instance check): that call records its own Failure.
      if (currentAuditCall()) return;
      this.audit.recordNow({
        action: event.action ?? 'Access',
        subject: event.subject ?? 'Route',
        status: 'Failure',
        error: { code: DENIAL_CODES[event.kind], message: `Denied (${event.kind}) at ${event.handler ?? 'unknown route'}` },
        metadata: { denial: event.kind, handler: event.handler },
        ...(event.userId && { actor: { kind: 'User', id: event.userId } }),
      });
    });
    new Logger('Audit').log('Recording authorization denials from @acme/nest-casl.');
  }
}
