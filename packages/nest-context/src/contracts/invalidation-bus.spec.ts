import { describe, expect, it } from 'vitest';
import { runInCommitScope } from '../commit-scope';
import { invalidateEverywhere, isInvalidationTrusted, type InvalidationBus, type InvalidationMessage } from './invalidation-bus';

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

/** Records what is published, in order with the local applications. */
function recordingBus(log: string[], fail = false): InvalidationBus {
  return {
    publish: async (topic: string, message: InvalidationMessage) => {
      log.push(`publish ${topic} ${JSON.stringify(message)}`);
      if (fail) throw new Error('bus down');
    },
    subscribe: () => () => undefined,
    healthy: true,
    healthySince: 0,
  };
}

describe('invalidateEverywhere', () => {
  it('outside a transaction: applies here and publishes at once', async () => {
    const log: string[] = [];
    invalidateEverywhere({
      bus: recordingBus(log),
      topic: 't',
      message: { userId: 'u1' },
      apply: () => log.push('apply'),
      onPublishError: () => log.push('error'),
    });
    await Promise.resolve();
    expect(log).toEqual(['apply', 'publish t {"userId":"u1"}']);
  });

  it('inside a transaction: applies now and again after the commit, publishes only after the commit, and the commit waits for it', async () => {
    const log: string[] = [];
    await runInCommitScope(async () => {
      invalidateEverywhere({ bus: recordingBus(log), topic: 't', message: {}, apply: () => log.push('apply'), onPublishError: () => log.push('error') });
      log.push('committing');
    });
    log.push('answered');
    expect(log).toEqual(['apply', 'committing', 'apply', 'publish t {}', 'answered']);
  });

  it('on rollback nothing is published', async () => {
    const log: string[] = [];
    await expect(
      runInCommitScope(async () => {
        invalidateEverywhere({ bus: recordingBus(log), topic: 't', message: {}, apply: () => log.push('apply'), onPublishError: () => log.push('error') });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(log).toEqual(['apply']);
  });

  it('a bus that fails is reported, never thrown; without a bus the invalidation stays here', async () => {
    const log: string[] = [];
    invalidateEverywhere({ bus: recordingBus(log, true), topic: 't', message: {}, apply: () => log.push('apply'), onPublishError: () => log.push('error') });
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['apply', 'publish t {}', 'error']);
    const alone: string[] = [];
    invalidateEverywhere({ bus: undefined, topic: 't', message: {}, apply: () => alone.push('apply'), onPublishError: () => alone.push('error') });
    expect(alone).toEqual(['apply']);
  });
});
