import { describe, expect, it } from 'vitest';
import { isInvalidationTrusted, type InvalidationBus } from './invalidation-bus';

const bus = (healthySince: number | null): InvalidationBus => ({
  publish: async () => undefined,
  subscribe: () => () => undefined,
  healthy: healthySince !== null,
  healthySince,
});

describe('isInvalidationTrusted', () => {
  const fallbackTtlMs = 1_000;

  it('trusts any entry younger than the fallback TTL', () => {
    expect(isInvalidationTrusted(10_000, { bus: bus(null), fallbackTtlMs, replicated: true }, 10_999)).toBe(true);
  });

  it('past the fallback TTL, trusts an entry only when the bus was healthy since before its load', () => {
    expect(isInvalidationTrusted(10_000, { bus: bus(9_000), fallbackTtlMs, replicated: true }, 60_000)).toBe(true);
    expect(isInvalidationTrusted(10_000, { bus: bus(10_000), fallbackTtlMs, replicated: true }, 60_000)).toBe(true);
    // The bus reconnected after the load: a message may have been missed in between.
    expect(isInvalidationTrusted(10_000, { bus: bus(10_001), fallbackTtlMs, replicated: true }, 60_000)).toBe(false);
    expect(isInvalidationTrusted(10_000, { bus: bus(null), fallbackTtlMs, replicated: false }, 11_000)).toBe(false);
  });

  it('without a bus: no limit in a single process, the fallback TTL when replicated', () => {
    expect(isInvalidationTrusted(0, { bus: undefined, fallbackTtlMs, replicated: false }, 1e9)).toBe(true);
    expect(isInvalidationTrusted(0, { bus: undefined, fallbackTtlMs, replicated: true }, 1_000)).toBe(false);
  });

  it('a bus that throws is not healthy (fail closed)', () => {
    const broken = {
      ...bus(0),
      get healthySince(): number | null {
        throw new Error('broken');
      },
    };
    expect(isInvalidationTrusted(5_000, { bus: broken, fallbackTtlMs, replicated: true }, 60_000)).toBe(false);
  });
});
