export { CaslModule } from './casl.module';
export { CASL_MODULE_OPTIONS } from './casl.module-definition';
export type { CaslModuleExtras, CaslModuleOptions, CaslRequest } from './casl.options';
export type { CaslRegister, SubjectName } from './casl.register';
export { CASL_ACTIONS, type AbilityContext, type AbilityUser, type AppAbility, type CaslAction } from './casl.types';
export { defineAbilities, type AbilityDefinition, type RoleAbilities } from './define-abilities';
export { AbilityFactory } from './ability.factory';
export { abilityFingerprint } from './ability-fingerprints';
export { CheckAbility, PublicRoute, SkipAbilityCheck, type AbilityRequirement } from './check-ability.decorator';
export { PoliciesGuard } from './policies.guard';
export { CurrentAbility } from './current-ability.decorator';
export { assertCan, permittedFields } from './assert-can';
export { accessibleBy, type AccessibleByOptions } from './accessible-by';
export { caslSubject } from './casl-subject';
export { CASL_DENIALS, CaslDenials, type AuthorizationDenied, type DenialKind, type DenialListener } from './casl-denials';
export {
  CaslError,
  CaslHttpException,
  AccessForbiddenException,
  SubjectNotFoundException,
  UnauthenticatedException,
  InvalidUserException,
  AbilityDefinitionError,
  UnsupportedConditionError,
  CaslOptionsError,
} from './casl.errors';
export { subject } from '@casl/ability';
