import type { CaslModuleOptions } from './casl.options';

/** Thrown at bootstrap when `CaslModule` options are invalid; the message names the option. */
export class CaslOptionsError extends Error {
  readonly code = 'CASL_INVALID_OPTIONS';
  constructor(message: string) {
    super(message);
    this.name = 'CaslOptionsError';
  }
}

export function validateCaslOptions(options: CaslModuleOptions): void {
  const roles = options.abilities?.roles;
  if (typeof roles !== 'object' || roles === null) {
    throw new CaslOptionsError('CaslModule option "abilities" must come from defineAbilities({ Role: ({ can }) => ... }).');
  }
  for (const [role, define] of Object.entries(roles)) {
    if (typeof define !== 'function') throw new CaslOptionsError(`CaslModule option "abilities": role "${role}" must be a function.`);
  }
  if (options.resolveUser !== undefined && typeof options.resolveUser !== 'function') {
    throw new CaslOptionsError('CaslModule option "resolveUser" must be a function.');
  }
  if (options.cacheSize !== undefined && (!Number.isInteger(options.cacheSize) || options.cacheSize < 1)) {
    throw new CaslOptionsError('CaslModule option "cacheSize" must be a positive integer.');
  }
}
