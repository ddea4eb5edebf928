import { isSqlIdentifier, isSqlSettingName } from '@acme/nest-context';
import { is } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { fullSchemaOf, isPgDatabase, type AnyPgDatabase } from './drizzle-internals';
import { DEFAULT_RLS_SETTING } from './rls';
import { TenancyOptionsError } from './tenancy.errors';
import type { MembershipCacheOptions, TenancyModuleOptions, TenancyRequest } from './tenancy.options';
import { DEFAULT_TENANT_COLUMN, tenantColumnOf } from './tenant-table';

/** `TenantDbOptions` with every default applied. */
export interface ResolvedTenantDbOptions {
  readonly rls: boolean;
  readonly tenantColumn: string;
  readonly rlsSetting: string;
}

/** `TenancyModuleOptions` with every default applied: what the package reads, never `?? default` at use sites. */
export interface ResolvedTenancyOptions extends ResolvedTenantDbOptions {
  readonly db: AnyPgDatabase;
  /** The app's `resolveWorkspace`, or the default that reads `request.user[workspaceClaim]`. */
  readonly resolveWorkspace: (request: TenancyRequest) => unknown;
  readonly userIdClaim: string;
  /** Undefined: no membership check (the claim is trusted). */
  readonly isMember: TenancyModuleOptions['isMember'];
  /** Null: every request asks `isMember`. */
  readonly membershipCache: Readonly<Required<MembershipCacheOptions>> | null;
  readonly systemDb: AnyPgDatabase;
  /** The tables the posture check verifies: the option, or the tenant tables of the Drizzle schema. */
  readonly tables: readonly PgTable[];
  readonly checkPosture: boolean;
}

/** The defaults of `membershipCache`, in one place (the options' JSDoc and the README state the same). */
export const MEMBERSHIP_CACHE_DEFAULTS = Object.freeze({ ttlMs: 60_000, maxEntries: 10_000, fallbackTtlMs: 5_000, replicated: false });

/** Internal DI token of the `ResolvedTenancyOptions`, resolved once from `TENANCY_MODULE_OPTIONS` at bootstrap. */
export const RESOLVED_TENANCY_OPTIONS = Symbol('@acme/nest-tenancy:resolved-options');

const resolved = new WeakSet<object>();

/**
 * Validates the options of a `TenantDb` / `tenantDb()` (a `TenancyOptionsError` naming the
 * option) and applies the defaults.
 */
export function resolveTenantDbOptions(options: { rls?: boolean; tenantColumn?: string; rlsSetting?: string }, owner = 'tenantDb()'): ResolvedTenantDbOptions {
  if (typeof options !== 'object' || options === null) throw new TenancyOptionsError(`${owner} options must be an object.`);
  const { rls = false, tenantColumn = DEFAULT_TENANT_COLUMN, rlsSetting = DEFAULT_RLS_SETTING } = options;
  if (typeof rls !== 'boolean') throw new TenancyOptionsError(`${owner} option "rls" must be a boolean (default false).`);
  if (!isSqlIdentifier(tenantColumn)) {
    throw new TenancyOptionsError(
      `${owner} option "tenantColumn" must be a plain column name (letters, digits, _; at most 63), got ${JSON.stringify(tenantColumn)}.`,
    );
  }
  if (!isSqlSettingName(rlsSetting)) {
    throw new TenancyOptionsError(`${owner} option "rlsSetting" must be a setting name like "app.workspace_id", got ${JSON.stringify(rlsSetting)}.`);
  }
  return { rls, tenantColumn, rlsSetting };
}

/**
 * Validates `TenancyModule` options (a `TenancyOptionsError` naming the option) and applies the
 * defaults, once: options it returned come back as they are.
 */
export function resolveTenancyOptions(given: TenancyModuleOptions | ResolvedTenancyOptions): ResolvedTenancyOptions {
  if (resolved.has(given)) return given as ResolvedTenancyOptions;
  const options = given as TenancyModuleOptions;
  if (typeof options !== 'object' || options === null) {
    throw new TenancyOptionsError('TenancyModule options must be an object: TenancyModule.forRoot({ db }).');
  }
  if (!isPgDatabase(options.db)) {
    throw new TenancyOptionsError('TenancyModule option "db" must be a Drizzle Postgres database: drizzle(pool, { schema }).');
  }
  if (options.systemDb !== undefined && !isPgDatabase(options.systemDb)) {
    throw new TenancyOptionsError('TenancyModule option "systemDb" must be a Drizzle Postgres database, or left out to use "db".');
  }
  for (const name of ['resolveWorkspace', 'isMember'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new TenancyOptionsError(`TenancyModule option "${name}" must be a function, or left out.`);
    }
  }
  for (const name of ['workspaceClaim', 'userIdClaim'] as const) {
    const value = options[name];
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      throw new TenancyOptionsError(`TenancyModule option "${name}" must be a non-empty string (a claim name of request.user).`);
    }
  }
  if (options.checkPosture !== undefined && typeof options.checkPosture !== 'boolean') {
    throw new TenancyOptionsError('TenancyModule option "checkPosture" must be a boolean (default true).');
  }
  if (options.tables !== undefined && (!Array.isArray(options.tables) || !options.tables.every((table) => is(table, PgTable)))) {
    throw new TenancyOptionsError('TenancyModule option "tables" must be an array of Drizzle pgTable()s, or left out to take them from the schema.');
  }
  const dbOptions = resolveTenantDbOptions(options, 'TenancyModule');
  const workspaceClaim = options.workspaceClaim ?? 'workspace_id';
  const result: ResolvedTenancyOptions = Object.freeze({
    ...dbOptions,
    db: options.db,
    resolveWorkspace: options.resolveWorkspace ?? ((request: TenancyRequest) => request.user?.[workspaceClaim]),
    userIdClaim: options.userIdClaim ?? 'sub',
    isMember: options.isMember,
    membershipCache: resolveMembershipCache(options),
    systemDb: options.systemDb ?? options.db,
    tables: options.tables ?? tenantTablesOf(options.db, dbOptions.tenantColumn),
    checkPosture: options.checkPosture ?? true,
  });
  resolved.add(result);
  return result;
}

/** The tables of the Drizzle schema given to `drizzle(client, { schema })` that have the tenant column. */
function tenantTablesOf(db: AnyPgDatabase, tenantColumn: string): PgTable[] {
  return Object.values(fullSchemaOf(db)).filter((value): value is PgTable => is(value, PgTable) && tenantColumnOf(value, tenantColumn) !== null);
}

function resolveMembershipCache(options: TenancyModuleOptions): Readonly<Required<MembershipCacheOptions>> | null {
  const cache = options.membershipCache;
  if (cache === undefined) return null;
  if (typeof cache !== 'object' || cache === null) {
    throw new TenancyOptionsError(
      'TenancyModule option "membershipCache" must be an object: { ttlMs?, maxEntries?, fallbackTtlMs?, replicated? }, or left out.',
    );
  }
  if (!options.isMember) {
    throw new TenancyOptionsError('TenancyModule option "membershipCache" caches the answers of "isMember": set isMember too, or leave membershipCache out.');
  }
  const positive = (name: keyof MembershipCacheOptions, value: unknown, fallback: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new TenancyOptionsError(
        `TenancyModule option "membershipCache.${name}" must be a positive whole number (default ${fallback}), got ${JSON.stringify(value)}.`,
      );
    }
    return value;
  };
  if (cache.replicated !== undefined && typeof cache.replicated !== 'boolean') {
    throw new TenancyOptionsError(
      `TenancyModule option "membershipCache.replicated" must be true or false (default false), got ${JSON.stringify(cache.replicated)}.`,
    );
  }
  return Object.freeze({
    ttlMs: positive('ttlMs', cache.ttlMs, MEMBERSHIP_CACHE_DEFAULTS.ttlMs),
    maxEntries: positive('maxEntries', cache.maxEntries, MEMBERSHIP_CACHE_DEFAULTS.maxEntries),
    fallbackTtlMs: positive('fallbackTtlMs', cache.fallbackTtlMs, MEMBERSHIP_CACHE_DEFAULTS.fallbackTtlMs),
    replicated: cache.replicated ?? MEMBERSHIP_CACHE_DEFAULTS.replicated,
  });
}
