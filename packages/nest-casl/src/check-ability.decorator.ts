import { SetMetadata } from '@nestjs/common';
import type { CaslAction } from './casl.types';
import type { SubjectName } from './casl.register';

export const CHECK_ABILITY = Symbol.for('@acme/nest-casl:check-ability');
// The metadata key keeps its first name: routes marked with either decorator, by any copy of the package, match.
export const SKIP_ABILITY_CHECK = Symbol.for('@acme/nest-casl:public-route');

/** One requirement: the user may do `action` on (some) `subject`. */
export type AbilityRequirement = readonly [action: CaslAction, subject: SubjectName | 'all'];

/**
 * Requires abilities for a route or controller (handler wins over class). All listed
 * requirements must hold. Instance conditions are checked in the service with `assertCan`
 * and lists are filtered with `accessibleBy`.
 *
 * @example @CheckAbility('Update', 'Deal')
 * @example @CheckAbility(['Read', 'Company'], ['Read', 'Contact'])
 */
export function CheckAbility(action: CaslAction, subject: SubjectName | 'all'): MethodDecorator & ClassDecorator;
export function CheckAbility(...requirements: AbilityRequirement[]): MethodDecorator & ClassDecorator;
export function CheckAbility(...args: unknown[]): MethodDecorator & ClassDecorator {
  const requirements = typeof args[0] === 'string' ? [[args[0], args[1]] as AbilityRequirement] : (args as AbilityRequirement[]);
  return SetMetadata(CHECK_ABILITY, requirements);
}

/**
 * Opens a route or controller to everyone: `PoliciesGuard` checks no ability and needs no user
 * there. It denies every other route that has no `@CheckAbility` (fail closed). Named like
 * `@SkipThrottle()` and nest-tenancy's `@SkipTenancy()`.
 *
 * @example @Get('health') @SkipAbilityCheck() health() { ... }
 */
export const SkipAbilityCheck = (): MethodDecorator & ClassDecorator => SetMetadata(SKIP_ABILITY_CHECK, true);

/** @deprecated Renamed `SkipAbilityCheck()` (same behaviour); this alias goes in the next minor release. */
export const PublicRoute = SkipAbilityCheck;
