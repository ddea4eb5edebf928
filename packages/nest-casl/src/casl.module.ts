import { ContextModule } from '@acme/nest-context';
import { Inject, Module } from '@nestjs/common';
import { AbilityFactory } from './ability.factory';
import { CASL_DENIALS, CaslDenials } from './casl-denials';
import { CASL_MODULE_OPTIONS, CASL_OPTIONS_TYPE, ConfigurableCaslModule } from './casl.module-definition';
import type { CaslModuleOptions } from './casl.options';
import { PoliciesGuard } from './policies.guard';
import { validateCaslOptions } from './validate-casl-options';

/**
 * Authorization by CASL abilities: provides `AbilityFactory` (cached per user, workspace and roles
 * version), `PoliciesGuard` and the denial events other packages (audit) listen to.
 */
@Module({
  imports: [ContextModule.forRoot()],
  providers: [AbilityFactory, CaslDenials, { provide: CASL_DENIALS, useExisting: CaslDenials }, PoliciesGuard],
  exports: [AbilityFactory, CaslDenials, CASL_DENIALS, PoliciesGuard, CASL_MODULE_OPTIONS],
})
export class CaslModule extends ConfigurableCaslModule {
  constructor(@Inject(CASL_MODULE_OPTIONS) options: CaslModuleOptions) {
    super();
    validateCaslOptions(options);
  }

  static override forRoot(options: typeof CASL_OPTIONS_TYPE) {
    return super.forRoot(options);
  }
}
