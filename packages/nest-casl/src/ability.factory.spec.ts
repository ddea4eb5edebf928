import { ContextService } from '@acme/nest-context';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AbilityFactory } from './ability.factory';
import { UnauthenticatedException } from './casl.errors';
import { defineAbilities } from './define-abilities';

function factoryCounting(cacheSize?: number, cache?: { fallbackTtlMs?: number; replicated?: boolean }) {
  const calls = { Editor: 0 };
  const abilities = defineAbilities<'Deal', 'Editor' | 'Reader'>({
    Editor: ({ can }, { workspaceId }) => {
      calls.Editor++;
      can('Update', 'Deal', { workspaceId });
    },
    Reader: ({ can }) => can('Read', 'Deal'),
  });
  return { factory: new AbilityFactory({ abilities, cacheSize, cache }, new ContextService()), calls };
}

describe('AbilityFactory', () => {
  const editor = { id: 'u1', roles: ['Editor'] };
  afterEach(() => vi.useRealTimers());

  it('in one process without a bus, a cached ability lives until invalidated; declared replicated, at most cache.fallbackTtlMs', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const single = factoryCounting(undefined, { fallbackTtlMs: 1_000 });
    const replicated = factoryCounting(undefined, { fallbackTtlMs: 1_000, replicated: true });
    const first = { single: single.factory.createFor(editor, 'ws-1'), replicated: replicated.factory.createFor(editor, 'ws-1') };
    vi.advanceTimersByTime(999);
    expect(replicated.factory.createFor(editor, 'ws-1')).toBe(first.replicated);
    vi.advanceTimersByTime(1);
    expect(replicated.factory.createFor(editor, 'ws-1')).not.toBe(first.replicated);
    vi.advanceTimersByTime(3_600_000);
    expect(single.factory.createFor(editor, 'ws-1')).toBe(first.single);
  });

  it('builds an ability once per (user, workspace, roles) and reuses it', () => {
    const { factory, calls } = factoryCounting();
    const first = factory.createFor(editor, 'ws-1');
    expect(factory.createFor({ ...editor }, 'ws-1')).toBe(first);
    expect(calls.Editor).toBe(1);
    expect(factory.createFor(editor, 'ws-2')).not.toBe(first);
    expect(factory.createFor({ ...editor, roles: ['Editor', 'Reader'] }, 'ws-1')).not.toBe(first);
    expect(calls.Editor).toBe(3);
  });

  it('a new roles version replaces the cached ability; invalidate forgets by user or workspace', () => {
    const { factory, calls } = factoryCounting();
    const v1 = factory.createFor({ ...editor, rolesVersion: 1 }, 'ws-1');
    expect(factory.createFor({ ...editor, rolesVersion: 2 }, 'ws-1')).not.toBe(v1);
    factory.createFor({ id: 'u2', roles: ['Editor'] }, 'ws-1');
    expect(factory.invalidate({ userId: 'u1' })).toBe(2);
    expect(factory.invalidate({ workspaceId: 'ws-1' })).toBe(1);
    factory.createFor({ ...editor, rolesVersion: 1 }, 'ws-1');
    expect(calls.Editor).toBe(4);
  });

  it('cache keys cannot collide, whatever characters ids, workspaces and roles hold', () => {
    const { factory } = factoryCounting();
    // One role named 'Editor,Reader' is an unknown role, not the two roles.
    expect(factory.createFor({ id: 'u1', roles: ['Editor', 'Reader'] }, 'ws-1').rules).toHaveLength(2);
    expect(factory.createFor({ id: 'u1', roles: ['Editor,Reader'] }, 'ws-1').rules).toEqual([]);
    // NUL inside an id or a roles version does not shift it into the next part of the key.
    expect(factory.createFor({ id: 'a', roles: ['Editor'], rolesVersion: 'ws-2\u0000Editor' }, 'ws-1').rules).toHaveLength(1);
    expect(factory.createFor({ id: 'a\u0000ws-1', roles: [] }, 'ws-2').rules).toEqual([]);
    expect(factory.invalidate({ userId: 'a' })).toBe(1);
  });

  it("the user's roles give the same answers in any order: rules apply in the roles' declared order", () => {
    const abilities = defineAbilities<'Deal', 'Seller' | 'Auditor'>({
      Seller: ({ can }) => can('Update', 'Deal'),
      // Declared after Seller: its cannot wins over Seller's can (a later rule wins in CASL).
      Auditor: ({ cannot }) => cannot('Update', 'Deal'),
    });
    for (const order of [
      ['Seller', 'Auditor'],
      ['Auditor', 'Seller'],
    ]) {
      // A fresh factory, and one that cached the other order first: same answer.
      const fresh = new AbilityFactory({ abilities }, new ContextService());
      expect(fresh.createFor({ id: 'u1', roles: order }, 'ws-1').can('Update', 'Deal')).toBe(false);
      const warmed = new AbilityFactory({ abilities }, new ContextService());
      warmed.createFor({ id: 'u1', roles: [...order].reverse() }, 'ws-1');
      expect(warmed.createFor({ id: 'u1', roles: order }, 'ws-1').can('Update', 'Deal')).toBe(false);
    }
  });

  it('the workspace reaches the rules, so an ability never spans workspaces', () => {
    const { factory } = factoryCounting();
    const ability = factory.createFor(editor, 'ws-1');
    expect(ability.rules[0]!.conditions).toEqual({ workspaceId: 'ws-1' });
  });

  it('unknown roles grant nothing; the cache is bounded', () => {
    const { factory } = factoryCounting(2);
    expect(factory.createFor({ id: 'x', roles: ['Owner'] }, 'ws-1').rules).toEqual([]);
    const a = factory.createFor(editor, 'ws-1');
    factory.createFor(editor, 'ws-2');
    factory.createFor(editor, 'ws-3'); // evicts ws-1 (least recently used)
    expect(factory.createFor(editor, 'ws-1')).not.toBe(a);
  });

  it('requireCurrent() returns the ability set for the request and is a 401 CASL_UNAUTHENTICATED without one', () => {
    const { factory } = factoryCounting();
    const context = new ContextService();
    const ability = factory.createFor(editor, 'ws-1');
    // Outside any request, and in a request whose guard set no ability.
    expect(() => factory.requireCurrent()).toThrow(UnauthenticatedException);
    context.run({ workspaceId: 'ws-1', actor: { kind: 'User', id: 'u1' } }, () => {
      let refused: unknown;
      try {
        factory.requireCurrent();
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(UnauthenticatedException);
      expect((refused as UnauthenticatedException).getStatus()).toBe(401);
      expect((refused as UnauthenticatedException).getResponse()).toMatchObject({ code: 'CASL_UNAUTHENTICATED' });
      factory.setCurrent(ability, 'DealsController.update');
      expect(factory.requireCurrent()).toBe(ability);
    });
    // The next request starts without one.
    context.run({ workspaceId: 'ws-1', actor: { kind: 'User', id: 'u1' } }, () => expect(factory.current()).toBeUndefined());
  });
});
