import type { PgDatabase, PgTable } from 'drizzle-orm/pg-core';

/** The request as the HTTP platform gives it (Express or Fastify); `user` is set by your auth guard. */
export interface TenancyRequest {
  headers: Record<string, string | string[] | undefined>;
  user?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Options of `TenancyModule.forRoot` / `forRootAsync`. */
export interface TenancyModuleOptions {
  /** The app's Drizzle database (pg-core: node-postgres, postgres.js, ...), connected as the runtime role. */
  db: PgDatabase<any, any, any>;
  /**
   * Back the app-level filter with Postgres row-level security: each request and job runs in a
   * transaction that sets `rlsSetting`, and startup checks the database posture.
   * @default false
   */
  rls?: boolean;
  /**
   * Database name of the workspace column that makes a table a tenant table.
   * @default 'workspace_id'
   */
  tenantColumn?: string;
  /** @default 'app.workspace_id' */
  rlsSetting?: string;
  /**
   * Where the workspace comes from. The default reads `request.user[workspaceClaim]`, the verified
   * JWT claims your auth guard put on the request.
   */
  resolveWorkspace?: (request: TenancyRequest) => string | null | undefined | Promise<string | null | undefined>;
  /** @default 'workspace_id' */
  workspaceClaim?: string;
  /** Claim naming the user, recorded as the context actor. @default 'sub' */
  userIdClaim?: string;
  /**
   * Checks that the user belongs to the workspace; false -> 404 TENANCY_WORKSPACE_NOT_FOUND.
   * Leave it out only when the workspace claim is signed and issued after a membership check.
   */
  isMember?: (args: { userId: string | null; workspaceId: string; request: TenancyRequest }) => boolean | Promise<boolean>;
  /**
   * Database used by `Tenancy.withoutTenant` for deliberate cross-workspace work. With RLS the
   * runtime role sees nothing outside a workspace, so pass a connection as a role with BYPASSRLS.
   * @default db
   */
  systemDb?: PgDatabase<any, any, any>;
  /**
   * Tenant tables the RLS posture check verifies. Default: the tables of the Drizzle schema
   * passed to `drizzle(client, { schema })` that have the tenant column.
   */
  tables?: PgTable[];
  /**
   * With `rls: true`, refuse to start when the runtime role is superuser, has BYPASSRLS, owns a
   * tenant table, or a tenant table lacks RLS or its policy.
   * @default true
   */
  checkPosture?: boolean;
}

/** Extras that shape the module itself. */
export interface TenancyModuleExtras {
  /** @default true */
  isGlobal?: boolean;
}
