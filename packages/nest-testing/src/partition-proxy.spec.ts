import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartitionProxy } from './partition-proxy';
import { startRedis } from './start-redis';

describe('PartitionProxy', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let proxy: PartitionProxy;
  beforeAll(async () => {
    redis = await startRedis({ strategies: ['embedded'] });
    proxy = await PartitionProxy.start(redis.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await redis?.stop();
  });

  it('forwards, drops everything while cut (commands hang), and forwards again once restored', async () => {
    const client = new Redis(proxy.url, { maxRetriesPerRequest: null });
    try {
      expect(await client.ping()).toBe('PONG');
      proxy.cut();
      const during = await Promise.race([client.ping(), new Promise((resolve) => setTimeout(() => resolve('no answer'), 300))]);
      expect(during).toBe('no answer');
      proxy.restore();
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });
});
