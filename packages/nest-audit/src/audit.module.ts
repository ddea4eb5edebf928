import { AUDITED_WRITES, ContextModule } from '@acme/nest-context';
import { Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AuditDenials } from './audit-denials';
import { AuditExplorer } from './audit-explorer';
import { AuditPipeline } from './audit-pipeline';
import { AuditRecorder } from './audit-recorder';
import { AuditRequestMiddleware } from './audit-request.middleware';
import { AUDIT_ASYNC_OPTIONS_TYPE, AUDIT_MODULE_OPTIONS, AUDIT_OPTIONS_TYPE, ConfigurableAuditModule, RESOLVED_AUDIT_OPTIONS } from './audit.module-definition';
import { createAuditController, type AuditControllerOptions } from './audit.controller';
import { AuditService } from './audit.service';
import { AuditQueryService } from './audit-query.service';
import { AuditWrites } from './audited-writes';
import { AuditCheckpointer } from './integrity/audit-checkpointer';
import { AuditStreamService } from './integrity/audit-stream.service';
import { AuditIntegrityService } from './integrity/audit-integrity.service';
import { resolveAuditOptions } from './resolve-audit-options';

/**
 * Audit for the app: wraps every `@Audit` provider method, batches entries, moves them through
 * BullMQ (or writes them directly) into the audit table, records authorization denials
 * from @acme/nest-casl, and reports each successful audited write under nest-context's
 * `AUDITED_WRITES`. Works on its own; shares the request context with the other packages.
 */
@Module({
  imports: [ContextModule.forFeature(), DiscoveryModule],
  providers: [
    // Validated and defaulted once, at bootstrap; a bad option fails here, naming it.
    { provide: RESOLVED_AUDIT_OPTIONS, inject: [AUDIT_MODULE_OPTIONS], useFactory: resolveAuditOptions },
    AuditPipeline,
    AuditWrites,
    // nest-context's contract: packages that react to writes (@acme/nest-cache) find it there.
    { provide: AUDITED_WRITES, useExisting: AuditWrites },
    AuditRecorder,
    AuditService,
    AuditExplorer,
    AuditDenials,
    AuditCheckpointer,
    AuditStreamService,
    AuditQueryService,
    AuditIntegrityService,
  ],
  exports: [AuditService, AuditQueryService, AuditStreamService, AuditIntegrityService, AUDIT_MODULE_OPTIONS, AUDITED_WRITES],
})
export class AuditModule extends ConfigurableAuditModule implements NestModule {
  static override forRoot(options: typeof AUDIT_OPTIONS_TYPE): DynamicModule {
    return withController(super.forRoot(options), options.controller);
  }

  static override forRootAsync(options: typeof AUDIT_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withController(super.forRootAsync(options), options.controller);
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(AuditRequestMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}

function withController(definition: DynamicModule, controller: AuditControllerOptions | undefined): DynamicModule {
  return controller ? { ...definition, controllers: [...(definition.controllers ?? []), createAuditController(controller)] } : definition;
}
