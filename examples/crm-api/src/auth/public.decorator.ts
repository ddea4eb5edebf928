import { applyDecorators, SetMetadata } from '@nestjs/common';
import { SkipAbilityCheck } from '@acme/nest-casl';
import { SkipTenancy } from '@acme/nest-tenancy';

export const IS_PUBLIC = Symbol.for('crm-api:public');

/**
 * A route anyone may call (sign-in, health, metrics): no token, no workspace, no ability. Every
 * other route needs all three.
 */
export const Public = () => applyDecorators(SetMetadata(IS_PUBLIC, true), SkipAbilityCheck(), SkipTenancy());

/** A signed-in route outside any workspace's data (token required, no tenant transaction). */
export const AuthenticatedOnly = () => applyDecorators(SkipAbilityCheck(), SkipTenancy());
