import { ContextService } from '@acme/nest-context';
import { asc, sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbilityDefinitionError, AbilityFactory, accessibleBy, defineAbilities, subject, UnsupportedConditionError, type RoleAbilities } from '@acme/nest-casl';
import { createCaslFixture, type CaslFixture } from './support/database';
import { deals, OWNERS, REGIONS, STAGES } from './support/schema';

const WS = '0190a0b2-0000-7000-8000-000000000001';
const ROWS = 600;

/** The ability of user u1 with one role made of `define`, through the real factory. */
function abilityOf(define: RoleAbilities<'Deal' | 'Company'>) {
  const factory = new AbilityFactory({ abilities: defineAbilities({ Role: define }) }, new ContextService());
  return factory.createFor({ id: 'u1', roles: ['Role'] }, WS);
}

/** Rule sets, each with the SQL a person would write for it by hand. */
const CASES: { name: string; define: RoleAbilities<'Deal' | 'Company'>; oracle: string }[] = [
  { name: 'everything (Manage all)', define: ({ can }) => can('Manage', 'all'), oracle: 'true' },
  { name: 'nothing (no rule)', define: () => undefined, oracle: 'false' },
  { name: 'eq', define: ({ can }) => can('Read', 'Deal', { ownerId: 'u1' }), oracle: `owner_id = 'u1'` },
  {
    name: 'cannot narrows an unconditional can',
    define: ({ can, cannot }) => {
      can('Read', 'Deal');
      cannot('Read', 'Deal', { stage: 'Lost' });
    },
    oracle: `stage <> 'Lost'`,
  },
  {
    name: 'in, then a cannot with gt',
    define: ({ can, cannot }) => {
      can('Read', 'Deal', { stage: { $in: ['New', 'Won'] } });
      cannot('Read', 'Deal', { amount: { $gt: 500 } });
    },
    oracle: `stage in ('New', 'Won') and amount <= 500`,
  },
  {
    name: 'two cans are an or',
    define: ({ can }) => {
      can('Read', 'Deal', { ownerId: 'u2' });
      can('Read', 'Deal', { region: 'North' });
    },
    oracle: `owner_id = 'u2' or region = 'North'`,
  },
  { name: 'ne keeps NULLs', define: ({ can }) => can('Read', 'Deal', { region: { $ne: 'South' } }), oracle: `region is distinct from 'South'` },
  { name: 'nin with null', define: ({ can }) => can('Read', 'Deal', { region: { $nin: ['North', null] } }), oracle: `region = 'South'` },
  { name: 'eq null', define: ({ can }) => can('Read', 'Deal', { region: null }), oracle: 'region is null' },
  { name: 'range (gte and lt)', define: ({ can }) => can('Read', 'Deal', { amount: { $gte: 100, $lt: 300 } }), oracle: 'amount >= 100 and amount < 300' },
  { name: 'lte', define: ({ can }) => can('Read', 'Deal', { amount: { $lte: 50 } }), oracle: 'amount <= 50' },
  {
    name: 'cannot on null after a can',
    define: ({ can, cannot }) => {
      can('Read', 'Deal', { ownerId: 'u3' });
      cannot('Read', 'Deal', { region: null });
    },
    oracle: `owner_id = 'u3' and region is not null`,
  },
  {
    name: 'a later can outranks an earlier cannot',
    define: ({ can, cannot }) => {
      cannot('Read', 'Deal', { stage: 'Lost' });
      can('Read', 'Deal', { ownerId: 'u2' });
    },
    oracle: `owner_id = 'u2'`,
  },
  {
    name: 'cannot with several fields (not of an and)',
    define: ({ can, cannot }) => {
      can('Read', 'Deal');
      cannot('Read', 'Deal', { stage: 'Lost', region: 'South' });
    },
    oracle: `not (stage = 'Lost' and region is not distinct from 'South')`,
  },
  {
    name: 'rules for another action or subject do not leak in',
    define: ({ can }) => {
      can('Update', 'Deal');
      can('Read', 'Company');
      can('Read', 'Deal', { stage: 'New' });
    },
    oracle: `stage = 'New'`,
  },
];

describe('accessibleBy: CASL rules as a Drizzle where clause', () => {
  let fixture: CaslFixture;
  let rows: (typeof deals.$inferSelect)[];

  beforeAll(async () => {
    fixture = await createCaslFixture();
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
    await fixture.db.insert(deals).values(
      Array.from({ length: ROWS }, (_, i) => ({
        workspaceId: WS,
        title: `Deal ${i}`,
        stage: pick(STAGES),
        amount: Math.floor(random() * 1000),
        ownerId: pick(OWNERS),
        region: pick(REGIONS),
      })),
    );
    rows = await fixture.db.select().from(deals).orderBy(asc(deals.id));
  });
  afterAll(() => fixture.close());

  const ids = async (where: SQL) => (await fixture.db.select({ id: deals.id }).from(deals).where(where).orderBy(asc(deals.id))).map((r) => r.id);

  it.each(CASES)('$name: same rows as the hand-written SQL and as CASL in memory', async ({ define, oracle }) => {
    const ability = abilityOf(define);
    const translated = await ids(accessibleBy(ability, 'Read', deals));
    const handWritten = await ids(sql.raw(oracle));
    const inMemory = rows.filter((row) => ability.can('Read', subject('Deal', { ...row }))).map((row) => row.id);
    expect(translated).toEqual(handWritten);
    expect(translated).toEqual(inMemory);
  });

  it('the data set exercises every case (no case is vacuously true)', async () => {
    for (const { oracle } of CASES.filter((c) => !['true', 'false'].includes(c.oracle))) {
      const count = (await ids(sql.raw(oracle))).length;
      expect(count, oracle).toBeGreaterThan(0);
      expect(count, oracle).toBeLessThan(ROWS);
    }
  });

  it('maps subject fields to columns when they differ', async () => {
    const ability = abilityOf(({ can }) => can('Read', 'Deal', { owner: 'u2' } as never));
    const translated = await ids(accessibleBy(ability, 'Read', deals, { columns: { owner: deals.ownerId } }));
    expect(translated).toEqual(await ids(sql.raw(`owner_id = 'u2'`)));
  });

  it('refuses what it cannot translate exactly, instead of widening access', () => {
    const regex = abilityOf(({ can }) => can('Read', 'Deal', { title: { $regex: '^Deal' } } as never));
    expect(() => accessibleBy(regex, 'Read', deals)).toThrow(UnsupportedConditionError);
    expect(() => accessibleBy(regex, 'Read', deals)).toThrow(/operator "regex"/);

    const unknownField = abilityOf(({ can }) => can('Read', 'Deal', { secret: 1 } as never));
    expect(() => accessibleBy(unknownField, 'Read', deals)).toThrow(/"secret" of Deal is not a column of "deals"/);

    const nested = abilityOf(({ can }) => can('Read', 'Deal', { 'company.name': 'Acme' } as never));
    expect(() => accessibleBy(nested, 'Read', deals)).toThrow(UnsupportedConditionError);

    // CASL's default parser has no $or/$and: it reads them as field names, and so do we (refused).
    const explicitOr = abilityOf(({ can }) => can('Read', 'Deal', { $or: [{ stage: 'Won' }] } as never));
    expect(() => accessibleBy(explicitOr, 'Read', deals)).toThrow(/"\$or" of Deal is not a column/);

    const objectValue = abilityOf(({ can }) => can('Read', 'Deal', { ownerId: { $in: [{ id: 1 }] } } as never));
    expect(() => accessibleBy(objectValue, 'Read', deals)).toThrow(/cannot be compared/);
  });

  it('an undefined condition value is a definition error, never "match everything"', () => {
    expect(() => abilityOf(({ can }, { user }) => can('Read', 'Deal', { ownerId: user.managerId as string }))).toThrow(AbilityDefinitionError);
  });

  it('without a workspace the ability allows nothing', async () => {
    const factory = new AbilityFactory({ abilities: defineAbilities({ Admin: ({ can }) => can('Manage', 'all') }) }, new ContextService());
    for (const workspace of [undefined, null, '']) {
      const ability = factory.createFor({ id: 'u1', roles: ['Admin'] }, workspace);
      expect(ability.can('Read', 'Deal')).toBe(false);
      expect(await ids(accessibleBy(ability, 'Read', deals))).toEqual([]);
    }
  });
});
