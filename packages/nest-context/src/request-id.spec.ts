import { describe, expect, it } from 'vitest';
import { requestIdFrom } from './request-id';

describe('requestIdFrom', () => {
  const generate = () => 'generated';

  it('reuses a well-formed upstream id', () => {
    expect(requestIdFrom('req-123:abc.DEF_9', generate)).toBe('req-123:abc.DEF_9');
  });

  it('takes the first value of a repeated header', () => {
    expect(requestIdFrom(['first', 'second'], generate)).toBe('first');
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['a newline (log injection)', 'abc\n{"level":"fatal"}'],
    ['spaces', 'a b'],
    ['over 128 characters', 'x'.repeat(129)],
  ])('replaces a %s id with a generated one', (_case, header) => {
    expect(requestIdFrom(header, generate)).toBe('generated');
  });
});
