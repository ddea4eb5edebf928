// What the README of @acme/nest-tenancy leaves out with `...`: the app's own pool, membership
// lookup, authentication guard and Drizzle provider token, and a test's service and workspace.
import type { CanActivate } from '@nestjs/common';
import pg from 'pg';
import type { CompaniesService } from './companies.service.js';

export const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
export const members = { isMember: async (userId: string, workspaceId: string): Promise<boolean> => userId.length > 0 && workspaceId.length > 0 };
export class JwtAuthGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}
export const DATABASE = Symbol('DATABASE');
export declare const service: CompaniesService;
export const workspaceId = '0b6f1f5e-0000-4000-8000-00000000000a';
