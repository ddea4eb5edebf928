export { TenancyModule } from './tenancy.module';
export { TENANCY_MODULE_OPTIONS } from './tenancy.module-definition';
export type { Membership, MembershipCacheOptions, TenancyModuleExtras, TenancyModuleOptions, TenancyRequest } from './tenancy.options';
export { TenantDb, tenantDb, type TenantDbOptions } from './tenant-db';
export { Tenancy } from './tenancy.service';
export { TenancyGuard } from './tenancy.guard';
export { TenancyMembershipCache, type MembershipInvalidation } from './membership-cache';
export { TenantTransactionInterceptor } from './tenant-transaction.interceptor';
export { SkipTenancy } from './skip-tenancy.decorator';
export { CurrentWorkspace } from './current-workspace.decorator';
export { tenantTable, DEFAULT_TENANT_COLUMN } from './tenant-table';
export { workspaceColumn } from './workspace-column';
export { tenantPolicySql, setWorkspaceSql, DEFAULT_RLS_SETTING, type TenantPolicyOptions } from './rls';
export { checkRlsPosture, RlsPostureError } from './rls-posture';
export {
  checkDistributionReadiness,
  type DistributionReadiness,
  type DistributionReadinessOptions,
  type DistributionProblem,
  type DistributionProblemKind,
} from './distribution-readiness';
export {
  TenancyError,
  TenancyHttpException,
  TenantNotFoundException,
  WorkspaceRequiredException,
  WorkspaceInvalidException,
  WorkspaceNotFoundException,
  WorkspaceMismatchException,
  UserInvalidException,
  TenantContextMissingError,
  UnscopableQueryError,
  TenancyOptionsError,
  TenancyArgumentError,
  DrizzleUnsupportedError,
} from './tenancy.errors';
