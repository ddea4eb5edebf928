import { ContextService } from '@acme/nest-context';
import { createParamDecorator } from '@nestjs/common';
import { TenantContextMissingError } from './tenancy.errors';

const context = new ContextService();

/** The current workspace id as a handler parameter; the route must be behind `TenancyGuard`. */
export const CurrentWorkspace = createParamDecorator((): string => {
  const workspaceId = context.get()?.workspaceId;
  if (!workspaceId) throw new TenantContextMissingError('@CurrentWorkspace()');
  return workspaceId;
});
