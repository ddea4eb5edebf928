import { Module } from '@nestjs/common';
import { IdentityDirectory } from './identity.directory';

/** Users and memberships across workspaces (TenancyGuard's membership check uses it too). */
@Module({ providers: [IdentityDirectory], exports: [IdentityDirectory] })
export class IdentityModule {}
