import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { AuditModuleExtras, AuditModuleOptions } from './audit.options';

/** DI token of the `AuditModuleOptions` as given to `forRoot` / returned by `forRootAsync`'s factory. */
export const AUDIT_MODULE_OPTIONS = Symbol.for('@acme/nest-audit:options');

/** Internal: the options validated and defaulted once (`resolveAuditOptions`), what the services read. */
export const RESOLVED_AUDIT_OPTIONS = Symbol.for('@acme/nest-audit:resolved-options');

export const {
  ConfigurableModuleClass: ConfigurableAuditModule,
  OPTIONS_TYPE: AUDIT_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: AUDIT_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<AuditModuleOptions>({ moduleName: 'Audit', optionsInjectionToken: AUDIT_MODULE_OPTIONS })
  .setClassMethodName('forRoot')
  // `controller` is an extra too; AuditModule.forRoot/forRootAsync mount it.
  .setExtras<AuditModuleExtras>({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
