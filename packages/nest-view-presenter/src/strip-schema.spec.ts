import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { stripSchemaOf } from './strip-schema';
import { taggedUnion } from './tagged-union.helper';

describe('stripSchemaOf', () => {
  const View = z.object({
    id: z.uuid(),
    count: z.int().default(0),
    tags: z.array(z.object({ name: z.string() })),
    owner: z.object({ name: z.string() }).nullable(),
    by_id: z.record(z.string(), z.object({ n: z.int() })),
    activity: taggedUnion({ None: {}, 'Email Sent': { at: z.iso.datetime() } }),
  });
  const strip = stripSchemaOf(View);

  it('removes unknown keys at every level and fills defaults, without checking leaf values', () => {
    const input = {
      id: 'not-a-uuid',
      tags: [{ name: 1, x: 1 }],
      owner: { name: 'Ada', email: 'x' },
      by_id: { a: { n: 'one', y: 2 } },
      activity: { kind: 'Email Sent', at: 'whenever', z: 3 },
      secret: 's',
    };
    expect(strip.parse(input)).toEqual({
      id: 'not-a-uuid',
      count: 0,
      tags: [{ name: 1 }],
      owner: { name: 'Ada' },
      by_id: { a: { n: 'one' } },
      activity: { kind: 'Email Sent', at: 'whenever' },
    });
  });

  it('still rejects what it cannot strip safely: wrong structure, unknown variant', () => {
    expect(strip.safeParse({ id: '', tags: 'x', owner: null, by_id: {}, activity: { kind: 'None' } }).success).toBe(false);
    expect(strip.safeParse({ id: '', tags: [], owner: 'Ada', by_id: {}, activity: { kind: 'None' } }).success).toBe(false);
    expect(strip.safeParse({ id: '', tags: [], owner: null, by_id: {}, activity: { kind: 'Call Logged' } }).success).toBe(false);
  });

  it('keeps unknown keys where the original passes them through, and validates what it cannot model', () => {
    expect(stripSchemaOf(z.object({ a: z.string() }).passthrough()).parse({ a: 1, b: 2 })).toEqual({ a: 1, b: 2 });
    const transformed = stripSchemaOf(z.object({ n: z.string().transform(Number) }));
    expect(transformed.parse({ n: '4' })).toEqual({ n: 4 });
    expect(transformed.safeParse({ n: 4 }).success).toBe(false);
  });
});
