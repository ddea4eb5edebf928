import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { detectContainerRuntime, startRedis } from '../src';
import { withEnv } from './support/with-env';

// Asked once, for real: no engine is faked. Machines without one skip the container tests.
const runtime = await detectContainerRuntime();
if (!runtime.available) {
  console.info(`[nest-testing] testcontainers tests skipped: ${runtime.reason}`);
}

describe('testcontainers strategy', () => {
  it.skipIf(runtime.available)('without a container runtime: detected in milliseconds, start* falls through to embedded', async () => {
    const began = performance.now();
    const status = await detectContainerRuntime();
    expect(performance.now() - began).toBeLessThan(1_000);
    expect(status).toEqual({ available: false, reason: expect.stringMatching(/^no container runtime \(|^disabled by/) });

    const redis = await withEnv({ REDIS_URL: undefined }, () => startRedis({ strategies: ['testcontainers', 'embedded'] }));
    try {
      expect(redis.source).toBe('embedded');
    } finally {
      await redis.stop();
    }
  });

  it.skipIf(!runtime.available)(
    'with a container runtime: starts redis:7 in a container',
    async () => {
      const redis = await startRedis({ strategies: ['testcontainers'] });
      const client = new Redis(redis.url, { lazyConnect: true });
      try {
        expect(redis.source).toBe('testcontainers');
        await client.connect();
        expect(await client.ping()).toBe('PONG');
      } finally {
        client.disconnect();
        await redis.stop();
      }
    },
    120_000,
  );

  it('ACME_TESTING_NO_CONTAINERS=1 turns the strategy off with a reason', async () => {
    const status = await withEnv({ ACME_TESTING_NO_CONTAINERS: '1' }, () => detectContainerRuntime());
    expect(status).toEqual({ available: false, reason: 'disabled by ACME_TESTING_NO_CONTAINERS=1' });
  });
});
