import { ABILITY_FINGERPRINTS, AUTHORIZATION_DENIALS, ContextModule } from '@acme/nest-context';
import { Inject, Module } from '@nestjs/common';
import { CaslFingerprints } from './ability-fingerprints';
import { AbilityFactory } from './ability.factory';
import { CASL_DENIALS, CaslDenials } from './casl-denials';
import { CASL_MODULE_OPTIONS, CASL_OPTIONS_TYPE, ConfigurableCaslModule } from './casl.module-definition';
import { PoliciesGuard } from './policies.guard';
import { RESOLVED_CASL_OPTIONS, resolveCaslOptions, type ResolvedCaslOptions } from './resolve-casl-options';

/**
 * Authorization by CASL abilities: provides `AbilityFactory` (cached per user, workspace and roles
 * version), `PoliciesGuard`, the app's `AUTHORIZATION_DENIALS` (`CaslDenials`), which other
 * packages (audit) listen to, and its `ABILITY_FINGERPRINTS`, by which other packages (cache)
 * tell callers with different permissions apart. The app imports `ContextModule.forRoot()` itself; bootstrap fails
 * with `CONTEXT_NOT_CONFIGURED` when it does not.
 */
@Module({
  imports: [ContextModule.forFeature()],
  providers: [
    { provide: RESOLVED_CASL_OPTIONS, useFactory: resolveCaslOptions, inject: [CASL_MODULE_OPTIONS] },
    AbilityFactory,
    CaslDenials,
    { provide: AUTHORIZATION_DENIALS, useExisting: CaslDenials },
    { provide: CASL_DENIALS, useExisting: CaslDenials },
    CaslFingerprints,
    { provide: ABILITY_FINGERPRINTS, useExisting: CaslFingerprints },
    PoliciesGuard,
  ],
  // The resolved options too: an app's `{ provide: APP_GUARD, useClass: PoliciesGuard }` is built in the app's module.
  exports: [AbilityFactory, CaslDenials, AUTHORIZATION_DENIALS, CASL_DENIALS, ABILITY_FINGERPRINTS, PoliciesGuard, CASL_MODULE_OPTIONS, RESOLVED_CASL_OPTIONS],
})
export class CaslModule extends ConfigurableCaslModule {
  // Asks for the resolved options so that invalid ones fail bootstrap (a `CaslOptionsError` naming
  // the option), whatever else the app injects.
  constructor(@Inject(RESOLVED_CASL_OPTIONS) _options: ResolvedCaslOptions) {
    super();
  }

  static override forRoot(options: typeof CASL_OPTIONS_TYPE) {
    return super.forRoot(options);
  }
}
