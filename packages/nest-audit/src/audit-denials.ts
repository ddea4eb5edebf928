import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { currentAuditCall } from './audit-call';
import { AuditService } from './audit.service';

/** The token @acme/nest-casl provides its denial events under (no import of that package needed). */
const CASL_DENIALS = Symbol.for('@acme/nest-casl:denials');

interface DenialEvent {
  kind: string;
  action: string | null;
  subject: string | null;
  userId: string | null;
  workspaceId: string | null;
  handler: string | null;
}

const CODES: Record<string, string> = {
  Forbidden: 'CASL_FORBIDDEN',
  'Not Found': 'CASL_NOT_FOUND',
  'No Policy': 'CASL_NO_POLICY',
  Unauthenticated: 'CASL_UNAUTHENTICATED',
};

/**
 * When @acme/nest-casl is in the app, records each authorization denial as a 'Failure' entry
 * (the guarded method never ran, so @Audit could not).
 */
@Injectable()
export class AuditDenials implements OnModuleInit {
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly audit: AuditService,
  ) {}

  onModuleInit(): void {
    let denials: { subscribe(listener: (event: DenialEvent) => void): unknown } | undefined;
    try {
      denials = this.moduleRef.get(CASL_DENIALS, { strict: false });
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
        error: { code: CODES[event.kind] ?? 'ACCESS_DENIED', message: `Denied (${event.kind}) at ${event.handler ?? 'unknown route'}` },
        metadata: { denial: event.kind, handler: event.handler },
        ...(event.userId && { actor: { kind: 'User', id: event.userId } }),
      });
    });
    new Logger('Audit').log('Recording authorization denials from @acme/nest-casl.');
  }
}
