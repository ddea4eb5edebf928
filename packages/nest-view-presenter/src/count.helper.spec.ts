import { describe, expect, it } from 'vitest';
import { count, countSchema } from './count.helper';
import { InvalidViewValueError } from './view-presenter.errors';

describe('count', () => {
  it('normalises Postgres counts: string, bigint, null', () => {
    expect(count('12')).toBe(12);
    expect(count(12n)).toBe(12);
    expect(count(7)).toBe(7);
    expect(count(null)).toBe(0);
    expect(count(undefined)).toBe(0);
  });

  it.each([[-1], ['-3'], [1.5], ['abc'], [''], [Number.NaN], [2n ** 60n], [-1n]])('rejects %s with a typed error', (value) => {
    expect(() => count(value as never)).toThrow(InvalidViewValueError);
  });

  it('countSchema is a non-negative integer defaulting to 0', () => {
    expect(countSchema().parse(undefined)).toBe(0);
    expect(countSchema().safeParse(-1).success).toBe(false);
    expect(countSchema().safeParse(1.5).success).toBe(false);
  });
});
