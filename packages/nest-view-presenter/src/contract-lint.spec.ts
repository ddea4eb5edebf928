import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { assertViewContract, lintViewContract, ViewContractLintError } from './contract-lint';
import { countSchema } from './count.helper';
import { isoSchema } from './iso.helper';
import { Page } from './page.schema';
import { lastActivitySchema, taggedUnion } from './tagged-union.helper';

const Clean = z.object({
  id: z.uuid(),
  status: z.enum(['Lead', 'Proposal Sent', 'In Progress', 'Closed Won']),
  owner: z.object({ id: z.string(), name: z.string(), avatar_url: z.string().nullable() }),
  contact_count: countSchema(),
  note_count: z.number().int().min(0),
  seat_count: z.uint32(),
  tags: z.array(z.string()),
  created_at: isoSchema(),
  closed_at: isoSchema().nullable(),
  last_activity: lastActivitySchema(['Email Sent', 'Call Logged']),
  channel: taggedUnion({ None: {}, 'Out of Office': { until: isoSchema() } }),
  scores: z.record(z.string(), z.int()),
});

const problems = (schema: z.ZodType) => lintViewContract(schema, { name: 'View' }).map(({ rule, path }) => [rule, path]);

describe('lintViewContract', () => {
  it('accepts a clean view, its Page envelope and the suite helpers', () => {
    expect(lintViewContract(Clean)).toEqual([]);
    expect(lintViewContract(Page(Clean))).toEqual([]);
  });

  it('rejects optional fields (optional, nullish, partial), naming each field', () => {
    const schema = z.object({ a: z.string().optional(), b: z.string().nullish(), nested: z.object({ c: z.int() }).partial() });
    expect(problems(schema)).toEqual([
      ['optional-field', 'View.a'],
      ['optional-field', 'View.b'],
      ['optional-field', 'View.nested.c'],
    ]);
    expect(lintViewContract(schema)[0]!.message).toMatch(/"a" is optional.*\.nullable\(\), a \.default\(\), or a tagged union/);
  });

  it('rejects enum and literal values that are not Title Case, quoting them', () => {
    const schema = z.object({
      status: z.enum(['proposal_sent', 'Won', 'IN_PROGRESS', 'inProgress']),
      items: z.array(z.object({ role: z.literal('admin') })),
    });
    expect(problems(schema)).toEqual([
      ['enum-not-title-case', 'View.status'],
      ['enum-not-title-case', 'View.items[].role'],
    ]);
    expect(lintViewContract(schema)[0]!.message).toContain('Enum values "proposal_sent", "IN_PROGRESS", "inProgress" are not Title Case');
    expect(lintViewContract(schema)[1]!.message).toContain('Literal value "admin" is not Title Case');
  });

  it('rejects Date objects instead of ISO strings, wherever they are', () => {
    const schema = z.object({ created_at: z.date(), history: z.array(z.object({ at: z.coerce.date().nullable() })) });
    expect(problems(schema)).toEqual([
      ['date-object', 'View.created_at'],
      ['date-object', 'View.history[].at'],
    ]);
  });

  it('rejects *_count fields that are not non-negative integers', () => {
    const schema = z.object({
      a_count: z.number(),
      b_count: z.int(),
      c_count: z.string(),
      d_count: countSchema().nullable(),
      e_count: z.int().min(-1),
      f_count: z.int().gt(-1),
    });
    expect(problems(schema)).toEqual([
      ['count-not-non-negative-int', 'View.a_count'],
      ['count-not-non-negative-int', 'View.b_count'],
      ['count-not-non-negative-int', 'View.c_count'],
      ['count-not-non-negative-int', 'View.d_count'],
      ['count-not-non-negative-int', 'View.e_count'],
    ]);
    expect(lintViewContract(schema)[0]!.message).toMatch(/"a_count" is a count .*countSchema\(\)/);
  });

  it('rejects unions without a Title Case discriminator', () => {
    const schema = z.object({
      plain: z.union([z.object({ a: z.string() }), z.object({ b: z.string() })]),
      maybe: z.union([z.string(), z.null()]),
      snake: z.discriminatedUnion('type', [z.object({ type: z.literal('email_sent') }), z.object({ type: z.literal('None') })]),
    });
    expect(problems(schema)).toEqual([
      ['union-without-discriminator', 'View.plain'],
      ['union-without-discriminator', 'View.maybe'],
      ['union-without-discriminator', 'View.snake.type'],
    ]);
    const [plain, maybe, snake] = lintViewContract(schema);
    expect(plain!.message).toContain("z.discriminatedUnion('kind'");
    expect(maybe!.message).toContain('use X.nullable()');
    expect(snake!.message).toContain('"email_sent"');
  });

  it('rejects .passthrough() and .catchall(), but not .strict()', () => {
    const schema = z.object({
      loose: z.object({ a: z.string() }).passthrough(),
      extra: z.object({ a: z.string() }).catchall(z.string()),
      strict: z.strictObject({ a: z.string() }),
    });
    expect(problems(schema)).toEqual([
      ['passthrough', 'View.loose'],
      ['passthrough', 'View.extra'],
    ]);
  });

  it('checks a schema shared by two fields at both paths and stops on recursive schemas', () => {
    const Bad = z.object({ at: z.date() });
    expect(problems(z.object({ first: Bad, second: Bad }))).toEqual([
      ['date-object', 'View.first.at'],
      ['date-object', 'View.second.at'],
    ]);
    type Node = { name: string; children: Node[] };
    const Tree: z.ZodType<Node> = z.object({ name: z.string(), children: z.array(z.lazy(() => Tree)) });
    expect(lintViewContract(Tree)).toEqual([]);
  });
});

describe('assertViewContract', () => {
  it('throws ViewContractLintError listing every problem with its field', () => {
    const schema = z.object({ nickname: z.string().optional(), born: z.date() });
    let error: unknown;
    try {
      assertViewContract(schema, { name: 'PersonView' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ViewContractLintError);
    expect(error).toMatchObject({ code: 'VIEW_CONTRACT_LINT', problems: [{ path: 'PersonView.nickname' }, { path: 'PersonView.born' }] });
    expect((error as Error).message).toMatch(/PersonView\.nickname: .*\n.*PersonView\.born: /);
  });

  it('passes a clean contract', () => {
    expect(() => assertViewContract(Clean, { name: 'DealView' })).not.toThrow();
  });
});
