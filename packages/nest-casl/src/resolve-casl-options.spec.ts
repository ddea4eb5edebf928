import { describe, expect, it } from 'vitest';
import { CaslOptionsError } from './casl.errors';
import { defineAbilities } from './define-abilities';
import { userFromClaims } from './request-user';
import { DEFAULT_CACHE_SIZE, DEFAULT_FALLBACK_TTL_MS, resolveCaslOptions } from './resolve-casl-options';

const abilities = defineAbilities({ Admin: ({ can }) => can('Manage', 'all') });

describe('resolveCaslOptions', () => {
  it('applies every default once; resolved options come back as they are', () => {
    const resolved = resolveCaslOptions({ abilities });
    expect(resolved).toEqual({
      abilities,
      resolveUser: userFromClaims,
      cacheSize: DEFAULT_CACHE_SIZE,
      cache: { fallbackTtlMs: DEFAULT_FALLBACK_TTL_MS, replicated: false },
      decisionLog: false,
    });
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(resolveCaslOptions(resolved)).toBe(resolved);
    const resolveUser = () => null;
    expect(resolveCaslOptions({ abilities, resolveUser, cacheSize: 5, decisionLog: true })).toMatchObject({ resolveUser, cacheSize: 5, decisionLog: true });
  });

  it('refuses invalid options with a CaslOptionsError that names the option', () => {
    const refused: [unknown, RegExp][] = [
      [undefined, /must be an object/],
      [{}, /"abilities" must come from defineAbilities/],
      [{ abilities: { roles: { Admin: 'all' } } }, /role "Admin" must be a function/],
      [{ abilities, resolveUser: 'sub' }, /"resolveUser" must be a function/],
      [{ abilities, cacheSize: 0 }, /"cacheSize" must be a positive integer \(default 10000\), got 0/],
      [{ abilities, cacheSize: 1.5 }, /"cacheSize"/],
      [{ abilities, cache: 5 }, /"cache" must be an object/],
      [{ abilities, cache: { fallbackTtlMs: 0 } }, /"cache.fallbackTtlMs" must be a positive whole number of milliseconds \(default 5000\), got 0/],
      [{ abilities, cache: { replicated: 'yes' } }, /"cache.replicated" must be true or false/],
      [{ abilities, decisionLog: 'yes' }, /"decisionLog" must be true or false \(default false\), got yes/],
    ];
    for (const [options, message] of refused) {
      expect(() => resolveCaslOptions(options as never)).toThrow(CaslOptionsError);
      expect(() => resolveCaslOptions(options as never)).toThrow(message);
    }
  });
});
