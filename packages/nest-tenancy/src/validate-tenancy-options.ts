import type { TenancyModuleOptions } from './tenancy.options';

/** Thrown at bootstrap when `TenancyModule` options are invalid; the message names the option. */
export class TenancyOptionsError extends Error {
  readonly code = 'TENANCY_INVALID_OPTIONS';
  constructor(message: string) {
    super(message);
    this.name = 'TenancyOptionsError';
  }
}

const isDrizzlePg = (value: unknown) =>
  typeof value === 'object' && value !== null && 'dialect' in value && 'session' in value && typeof (value as { select?: unknown }).select === 'function';

export function validateTenancyOptions(options: TenancyModuleOptions): void {
  if (!isDrizzlePg(options.db)) {
    throw new TenancyOptionsError('TenancyModule option "db" must be a Drizzle Postgres database: drizzle(pool, { schema }).');
  }
  if (options.systemDb !== undefined && !isDrizzlePg(options.systemDb)) {
    throw new TenancyOptionsError('TenancyModule option "systemDb" must be a Drizzle Postgres database.');
  }
  for (const name of ['resolveWorkspace', 'isMember'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new TenancyOptionsError(`TenancyModule option "${name}" must be a function.`);
    }
  }
  for (const name of ['tenantColumn', 'workspaceClaim', 'userIdClaim', 'rlsSetting'] as const) {
    const value = options[name];
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      throw new TenancyOptionsError(`TenancyModule option "${name}" must be a non-empty string.`);
    }
  }
  if (options.rlsSetting !== undefined && !/^[A-Za-z_]\w*\.[A-Za-z_]\w*$/.test(options.rlsSetting)) {
    throw new TenancyOptionsError('TenancyModule option "rlsSetting" must look like "app.workspace_id".');
  }
}
