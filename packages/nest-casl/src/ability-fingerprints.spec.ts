import { ContextService } from '@acme/nest-context';
import { createMongoAbility, type RawRuleOf } from '@casl/ability';
import { describe, expect, it } from 'vitest';
import { abilityFingerprint, CaslFingerprints } from './ability-fingerprints';
import { AbilityFactory } from './ability.factory';
import type { AppAbility } from './casl.types';
import { defineAbilities } from './define-abilities';

type Subject = 'Deal' | 'Company';
const abilities = defineAbilities<Subject, 'Admin' | 'Operator' | 'Viewer' | 'Member'>({
  Admin: ({ can }) => can('Manage', 'all'),
  Operator: ({ can, cannot }, { user }) => {
    can(['Read', 'Create'], 'Company');
    can('Read', 'Deal');
    can('Update', 'Deal', { ownerId: user.id });
    cannot('Update', 'Deal', { stage: { $in: ['Won', 'Lost'] } });
  },
  Viewer: ({ can, cannot }) => {
    can('Read', ['Company', 'Deal']);
    cannot('Read', 'Deal', { stage: 'Lost' });
  },
  Member: ({ can }, { workspaceId }) => can('Read', 'Deal', { workspaceId }),
});
const factory = () => new AbilityFactory({ abilities }, new ContextService());
const WS = 'ws-1';

/** An ability from raw rules, built as AbilityFactory builds its own. */
const ability = (rules: RawRuleOf<AppAbility<Subject>>[]) =>
  createMongoAbility<AppAbility<Subject>>(rules, { anyAction: 'Manage', anySubjectType: 'all' }) as unknown as AppAbility;
const fingerprintOf = (rules: RawRuleOf<AppAbility<Subject>>[], subject: Subject = 'Deal') => abilityFingerprint(ability(rules), subject);

describe('abilityFingerprint', () => {
  it('is a short base64url digest, the same from any factory for the same rules (no randomness)', () => {
    const first = abilityFingerprint(factory().createFor({ id: 'u1', roles: ['Viewer'] }, WS), 'Deal');
    expect(first).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(abilityFingerprint(factory().createFor({ id: 'u1', roles: ['Viewer'] }, WS), 'Deal')).toBe(first);
  });

  it('two users with the same role and no per-user condition share it', () => {
    const abilities = factory();
    expect(abilityFingerprint(abilities.createFor({ id: 'u1', roles: ['Viewer'] }, WS), 'Deal')).toBe(
      abilityFingerprint(abilities.createFor({ id: 'u2', roles: ['Viewer'] }, WS), 'Deal'),
    );
  });

  it('a rule with { ownerId: user.id } tells them apart, on the subject it applies to only', () => {
    const abilities = factory();
    const u1 = abilities.createFor({ id: 'u1', roles: ['Operator'] }, WS);
    const u2 = abilities.createFor({ id: 'u2', roles: ['Operator'] }, WS);
    expect(abilityFingerprint(u1, 'Deal')).not.toBe(abilityFingerprint(u2, 'Deal'));
    // Their Company rules are the same: what one may see of companies, the other may too.
    expect(abilityFingerprint(u1, 'Company')).toBe(abilityFingerprint(u2, 'Company'));
  });

  it('a condition on the workspace, interpolated, tells workspaces apart', () => {
    const abilities = factory();
    const member = { id: 'u1', roles: ['Member'] };
    expect(abilityFingerprint(abilities.createFor(member, 'ws-1'), 'Deal')).not.toBe(abilityFingerprint(abilities.createFor(member, 'ws-2'), 'Deal'));
  });

  it('different roles differ; rules on other subjects change nothing', () => {
    const abilities = factory();
    const viewer = abilityFingerprint(abilities.createFor({ id: 'u1', roles: ['Viewer'] }, WS), 'Deal');
    expect(abilityFingerprint(abilities.createFor({ id: 'u1', roles: ['Admin'] }, WS), 'Deal')).not.toBe(viewer);
    expect(fingerprintOf([{ action: 'Read', subject: 'Deal' }])).toBe(
      fingerprintOf([
        { action: 'Read', subject: 'Company', conditions: { ownerId: 'u1' } },
        { action: 'Read', subject: 'Deal' },
      ]),
    );
  });

  it("'all' rules (Manage all) count for every subject", () => {
    expect(fingerprintOf([{ action: 'Manage', subject: 'all' }])).not.toBe(fingerprintOf([]));
    expect(fingerprintOf([{ action: 'Read', subject: 'all', conditions: { ownerId: 'u1' } }])).not.toBe(
      fingerprintOf([{ action: 'Read', subject: 'all', conditions: { ownerId: 'u2' } }]),
    );
  });

  it('conditions count with their values and types', () => {
    const won = fingerprintOf([{ action: 'Read', subject: 'Deal', conditions: { stage: 'Won' } }]);
    expect(fingerprintOf([{ action: 'Read', subject: 'Deal', conditions: { stage: 'Lost' } }])).not.toBe(won);
    expect(fingerprintOf([{ action: 'Read', subject: 'Deal' }])).not.toBe(won);
    expect(fingerprintOf([{ action: 'Read', subject: 'Deal', conditions: { amount: 1 } }])).not.toBe(
      fingerprintOf([{ action: 'Read', subject: 'Deal', conditions: { amount: '1' } }]),
    );
    const date = new Date('2026-01-01T00:00:00.000Z');
    expect(fingerprintOf([{ action: 'Read', subject: 'Deal', conditions: { closedAt: { $gte: date } } }])).not.toBe(
      fingerprintOf([{ action: 'Read', subject: 'Deal', conditions: { closedAt: { $gte: date.toISOString() } } }]),
    );
    expect(fingerprintOf([{ action: 'Read', subject: 'Deal', conditions: { closedAt: { $gte: date } } }])).not.toBe(
      fingerprintOf([{ action: 'Read', subject: 'Deal', conditions: { closedAt: { $gte: new Date('2026-01-02T00:00:00.000Z') } } }]),
    );
  });

  it('the order of keys inside a condition does not count; the order of rules does', () => {
    expect(fingerprintOf([{ action: 'Read', subject: 'Deal', conditions: { a: 1, b: 2 } }])).toBe(
      fingerprintOf([{ action: 'Read', subject: 'Deal', conditions: { b: 2, a: 1 } }]),
    );
    const allow = { action: 'Read', subject: 'Deal' } as const;
    const deny = { action: 'Read', subject: 'Deal', inverted: true, conditions: { stage: 'Lost' } } as const;
    expect(fingerprintOf([allow, deny])).not.toBe(fingerprintOf([deny, allow]));
  });

  it('actions, fields and inverted rules count; reasons do not', () => {
    const read = fingerprintOf([{ action: 'Read', subject: 'Deal' }]);
    expect(fingerprintOf([{ action: 'Update', subject: 'Deal' }])).not.toBe(read);
    expect(fingerprintOf([{ action: 'Read', subject: 'Deal', fields: ['title'] }])).not.toBe(read);
    expect(fingerprintOf([{ action: 'Read', subject: 'Deal', inverted: true }])).not.toBe(read);
    expect(fingerprintOf([{ action: 'Read', subject: 'Deal', inverted: true, reason: 'a' }])).toBe(
      fingerprintOf([{ action: 'Read', subject: 'Deal', inverted: true, reason: 'b' }]),
    );
  });

  it('a value it cannot write down exactly shares nothing: unique to that ability, stable for it', () => {
    class Secret {
      readonly #value: string;
      constructor(value: string) {
        this.#value = value;
      }
      matches(other: string) {
        return other === this.#value;
      }
    }
    const rules = (owner: string) => [{ action: 'Read', subject: 'Deal', conditions: { ownerId: new Secret(owner) } }] as never;
    const first = ability(rules('u1'));
    expect(abilityFingerprint(first, 'Deal')).toBe(abilityFingerprint(first, 'Deal'));
    expect(abilityFingerprint(first, 'Deal')).not.toBe(abilityFingerprint(ability(rules('u1')), 'Deal'));
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(fingerprintOf([{ action: 'Read', subject: 'Deal', conditions: cyclic }])).not.toBe(
      fingerprintOf([{ action: 'Read', subject: 'Deal', conditions: cyclic }]),
    );
  });

  it('follows ability.update(rules)', () => {
    const updated = ability([{ action: 'Read', subject: 'Deal' }]);
    const before = abilityFingerprint(updated, 'Deal');
    updated.update([{ action: 'Read', subject: 'Deal', conditions: { ownerId: 'u1' } }] as never);
    expect(abilityFingerprint(updated, 'Deal')).not.toBe(before);
  });
});

describe('CaslFingerprints (ABILITY_FINGERPRINTS)', () => {
  it("is null without the request's ability (a job, a system task, an anonymous request)", async () => {
    const abilities = factory();
    await expect(new CaslFingerprints(abilities).forSubject('Deal')).resolves.toBeNull();
    await new ContextService().run({ workspaceId: WS, actor: { kind: 'Job', id: null } }, async () => {
      await expect(new CaslFingerprints(abilities).forSubject('Deal')).resolves.toBeNull();
    });
  });

  it("is the fingerprint of the request's ability", async () => {
    const abilities = factory();
    await new ContextService().run({ workspaceId: WS, actor: { kind: 'User', id: 'u1' } }, async () => {
      const ability = abilities.forContext({ id: 'u1', roles: ['Operator'] });
      abilities.setCurrent(ability);
      await expect(new CaslFingerprints(abilities).forSubject('Deal')).resolves.toBe(abilityFingerprint(ability, 'Deal'));
    });
  });
});
