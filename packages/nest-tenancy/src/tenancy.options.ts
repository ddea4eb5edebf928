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
   * Answer `{ claims }` instead of true to have the guard set claims on `request.user` (the role
   * the membership gives, say `{ claims: { roles: ['Admin'] } }`): with `membershipCache`, they are
   * cached with the answer and set again on every hit. Leave it out only when the workspace claim
   * is signed and issued after a membership check.
   */
  isMember?: (args: { userId: string | null; workspaceId: string; request: TenancyRequest }) => boolean | Membership | Promise<boolean | Membership>;
  /**
   * Cache the answers of `isMember` (members only: a refusal is never cached) per (user,
   * workspace) in this process, saving its round trip on most requests. Invalidate with
   * `TenancyMembershipCache.invalidate({ userId, workspaceId })` when a membership changes; with
   * the app's `INVALIDATION_BUS` (nest-context; e.g. @acme/nest-cache's `InvalidationBusModule`)
   * every replica forgets it. `isMember` must then leave the request alone and answer `{ claims }`.
   * @default off
   */
  membershipCache?: MembershipCacheOptions;
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

/** What `isMember` answers for a member whose membership sets claims on `request.user` (e.g. `{ claims: { roles: ['Admin'] } }`). */
export interface Membership {
  /** Set on `request.user` (created when absent) by `TenancyGuard`; plain data (structured-cloneable). */
  claims: Readonly<Record<string, unknown>>;
}

/** The `membershipCache` option of `TenancyModule`. */
export interface MembershipCacheOptions {
  /**
   * Longest life of a cached answer, whatever the bus says.
   * @default 60000
   */
  ttlMs?: number;
  /**
   * How many (user, workspace) answers to keep; past it the oldest is dropped.
   * @default 10000
   */
  maxEntries?: number;
  /**
   * Longest life of an answer that may have missed an invalidation: while the app's
   * `INVALIDATION_BUS` is not healthy (and for answers loaded before it last became healthy), or
   * with no bus when `replicated`. A missed message costs at most this much.
   * @default 5000
   */
  fallbackTtlMs?: number;
  /**
   * The app runs as several processes. Without an `INVALIDATION_BUS`, an invalidation then reaches
   * only the process that made it, so answers expire after `fallbackTtlMs`.
   * @default false
   */
  replicated?: boolean;
}

/** Extras that shape the module itself. */
export interface TenancyModuleExtras {
  /** @default true */
  isGlobal?: boolean;
}
