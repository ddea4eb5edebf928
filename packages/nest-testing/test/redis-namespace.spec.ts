import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createRedisNamespace } from '../src';

describe('createRedisNamespace', () => {
  it('gives each caller a unique prefix on the shared server: keys do not cross', async () => {
    const a = await createRedisNamespace();
    const b = await createRedisNamespace();
    expect(a.url).toBe(b.url);
    expect(a.prefix).not.toBe(b.prefix);
    expect(a.keyPrefix).toBe(`${a.prefix}:`);

    const clientA = new Redis(a.url, { keyPrefix: a.keyPrefix });
    const clientB = new Redis(b.url, { keyPrefix: b.keyPrefix });
    try {
      await clientA.set('counter', '1');
      expect(await clientB.get('counter')).toBeNull();
      await clientB.set('counter', '2');
      expect(await clientA.get('counter')).toBe('1');
      expect(await clientB.get('counter')).toBe('2');
    } finally {
      clientA.disconnect();
      clientB.disconnect();
    }
  });
});
