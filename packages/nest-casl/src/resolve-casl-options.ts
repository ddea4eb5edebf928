import { CaslOptionsError } from './casl.errors';
import type { CaslModuleOptions, CaslRequest } from './casl.options';
import type { AbilityUser } from './casl.types';
import type { AbilityDefinition } from './define-abilities';
import { userFromClaims, type UNUSABLE_USER } from './request-user';

/** `CaslModuleOptions` with every default applied: what the package reads, never `?? default` at use sites. */
export interface ResolvedCaslOptions {
  readonly abilities: AbilityDefinition<any, any>;
  /** The app's `resolveUser`, or the default that reads `request.user` (it may answer "unusable"). */
  readonly resolveUser: (request: CaslRequest) => AbilityUser | null | undefined | typeof UNUSABLE_USER;
  readonly cacheSize: number;
  readonly cache: { readonly fallbackTtlMs: number; readonly replicated: boolean };
  readonly decisionLog: boolean;
}

/** @default of `cacheSize`. */
export const DEFAULT_CACHE_SIZE = 10_000;

/** @default of `cache.fallbackTtlMs`. */
export const DEFAULT_FALLBACK_TTL_MS = 5_000;

/** Internal DI token of the `ResolvedCaslOptions`, resolved once from `CASL_MODULE_OPTIONS` at bootstrap. */
export const RESOLVED_CASL_OPTIONS = Symbol('@acme/nest-casl:resolved-options');

const resolved = new WeakSet<object>();

/**
 * Validates `options` (a `CaslOptionsError` naming the option) and applies the defaults, once:
 * options it returned come back as they are.
 */
export function resolveCaslOptions(options: CaslModuleOptions | ResolvedCaslOptions): ResolvedCaslOptions {
  if (resolved.has(options)) return options as ResolvedCaslOptions;
  validateCaslOptions(options as CaslModuleOptions);
  const result: ResolvedCaslOptions = Object.freeze({
    abilities: options.abilities,
    resolveUser: options.resolveUser ?? userFromClaims,
    cacheSize: options.cacheSize ?? DEFAULT_CACHE_SIZE,
    cache: Object.freeze({
      fallbackTtlMs: options.cache?.fallbackTtlMs ?? DEFAULT_FALLBACK_TTL_MS,
      replicated: options.cache?.replicated ?? false,
    }),
    decisionLog: options.decisionLog ?? false,
  });
  resolved.add(result);
  return result;
}

function validateCaslOptions(options: CaslModuleOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new CaslOptionsError('CaslModule options must be an object: CaslModule.forRoot({ abilities }).');
  }
  const roles = options.abilities?.roles;
  if (typeof roles !== 'object' || roles === null) {
    throw new CaslOptionsError('CaslModule option "abilities" must come from defineAbilities({ Role: ({ can }) => ... }).');
  }
  for (const [role, define] of Object.entries(roles)) {
    if (typeof define !== 'function') {
      throw new CaslOptionsError(`CaslModule option "abilities": role "${role}" must be a function ({ can, cannot }, { user, workspaceId }) => void.`);
    }
  }
  if (options.resolveUser !== undefined && typeof options.resolveUser !== 'function') {
    throw new CaslOptionsError('CaslModule option "resolveUser" must be a function (request) => AbilityUser | null, or left out to read request.user.');
  }
  if (options.cacheSize !== undefined && (!Number.isInteger(options.cacheSize) || options.cacheSize < 1)) {
    throw new CaslOptionsError(`CaslModule option "cacheSize" must be a positive integer (default ${DEFAULT_CACHE_SIZE}), got ${String(options.cacheSize)}.`);
  }
  validateCacheOptions(options.cache);
  if (options.decisionLog !== undefined && typeof options.decisionLog !== 'boolean') {
    throw new CaslOptionsError(`CaslModule option "decisionLog" must be true or false (default false), got ${String(options.decisionLog)}.`);
  }
}

function validateCacheOptions(cache: CaslModuleOptions['cache']): void {
  if (cache === undefined) return;
  if (typeof cache !== 'object' || cache === null) {
    throw new CaslOptionsError('CaslModule option "cache" must be an object: { fallbackTtlMs?, replicated? }.');
  }
  const { fallbackTtlMs, replicated } = cache;
  if (fallbackTtlMs !== undefined && (!Number.isInteger(fallbackTtlMs) || fallbackTtlMs < 1)) {
    throw new CaslOptionsError(
      `CaslModule option "cache.fallbackTtlMs" must be a positive whole number of milliseconds (default ${DEFAULT_FALLBACK_TTL_MS}), got ${String(fallbackTtlMs)}.`,
    );
  }
  if (replicated !== undefined && typeof replicated !== 'boolean') {
    throw new CaslOptionsError(`CaslModule option "cache.replicated" must be true or false (default false), got ${String(replicated)}.`);
  }
}
