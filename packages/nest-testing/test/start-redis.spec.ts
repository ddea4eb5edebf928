import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceUnavailableError, startRedis, type StartedService } from '../src';
import { portOpen } from './support/port-open';
import { withEnv } from './support/with-env';

async function ping(url: string): Promise<string> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await redis.connect();
    return await redis.ping();
  } finally {
    redis.disconnect();
  }
}

describe('startRedis', () => {
  let redis: StartedService;

  beforeAll(async () => {
    redis = await startRedis({ strategies: ['embedded'] });
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it('embedded: spawns redis-server on a free port and answers PING', async () => {
    expect(redis.source).toBe('embedded');
    expect(redis.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(await ping(redis.url)).toBe('PONG');
  });

  it('embedded: AOF on (appendfsync everysec), noeviction, no RDB snapshots, in a temp dir that stop() removes', async () => {
    const server = await startRedis({ strategies: ['embedded'] });
    const client = new Redis(server.url);
    try {
      expect(await settings(client)).toEqual({ appendonly: 'yes', appendfsync: 'everysec', 'maxmemory-policy': 'noeviction', save: '' });
      const dir = String((await client.config('GET', 'dir'))[1]);
      await client.set('kept', '1');
      await waitUntil(async () => existsSync(`${dir}/appendonlydir`));
      client.disconnect();
      await server.stop();
      expect(existsSync(dir)).toBe(false);
    } finally {
      client.disconnect();
      await server.stop();
    }
  });

  it("embedded: persistence 'none' is a volatile server; args are passed to redis-server after ours", async () => {
    const server = await startRedis({ strategies: ['embedded'], persistence: 'none', args: ['--maxmemory-policy', 'allkeys-lru'] });
    const client = new Redis(server.url);
    try {
      expect(await settings(client)).toMatchObject({ appendonly: 'no', 'maxmemory-policy': 'allkeys-lru' });
    } finally {
      client.disconnect();
      await server.stop();
    }
  });

  it('url: REDIS_URL is used as is and stop() leaves the server running', async () => {
    const viaEnv = await withEnv({ REDIS_URL: redis.url }, () => startRedis());
    expect(viaEnv).toMatchObject({ source: 'url', url: redis.url });
    await viaEnv.stop();
    expect(await ping(redis.url)).toBe('PONG');
  });

  it('embedded: stop() ends the process', async () => {
    const server = await startRedis({ strategies: ['embedded'] });
    await server.stop();
    expect(await portOpen(server.url)).toBe(false);
  });

  it('fails with a typed error that lists every strategy and says what to install', async () => {
    const error = await withEnv({ REDIS_URL: undefined, REDIS_SERVER_BIN: '/nonexistent/redis-server', ACME_TESTING_NO_CONTAINERS: '1' }, () =>
      startRedis().then(
        () => undefined,
        (thrown: unknown) => thrown,
      ),
    );
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    const unavailable = error as ServiceUnavailableError;
    expect(unavailable.code).toBe('TESTING_SERVICE_UNAVAILABLE');
    expect(unavailable.service).toBe('redis');
    expect(unavailable.attempts.map((attempt) => attempt.strategy)).toEqual(['url', 'testcontainers', 'embedded']);
    expect(unavailable.message).toContain('REDIS_URL is not set');
    expect(unavailable.message).toContain('disabled by ACME_TESTING_NO_CONTAINERS=1');
    expect(unavailable.message).toContain('redis-server not found (tried "/nonexistent/redis-server")');
    expect(unavailable.message).toContain('apt-get install redis-server');
    expect(unavailable.message).toContain('REDIS_SERVER_BIN');
  });
});

async function settings(client: Redis): Promise<Record<string, string>> {
  const names = ['appendonly', 'appendfsync', 'maxmemory-policy', 'save'];
  const values = await Promise.all(names.map(async (name) => String((await client.config('GET', name))[1])));
  return Object.fromEntries(names.map((name, i) => [name, values[i]!]));
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
