import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller';
import { AuditTrailService } from './audit-trail.service';

/** GET /audit: search of the workspace's audit trail (entries are written by @acme/nest-audit). */
@Module({ controllers: [AuditController], providers: [AuditTrailService] })
export class AuditLogModule {}
