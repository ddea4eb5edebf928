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
    const error = await withEnv(
      { REDIS_URL: undefined, REDIS_SERVER_BIN: '/nonexistent/redis-server', ACME_TESTING_NO_CONTAINERS: '1' },
      () => startRedis().then(() => undefined, (thrown: unknown) => thrown),
    );
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    const unavailable = error as ServiceUnavailableError;
    expect(unavailable.code).toBe('ACME_TESTING_SERVICE_UNAVAILABLE');
    expect(unavailable.service).toBe('redis');
    expect(unavailable.attempts.map((attempt) => attempt.strategy)).toEqual(['url', 'testcontainers', 'embedded']);
    expect(unavailable.message).toContain('REDIS_URL is not set');
    expect(unavailable.message).toContain('disabled by ACME_TESTING_NO_CONTAINERS=1');
    expect(unavailable.message).toContain('redis-server not found (tried "/nonexistent/redis-server")');
    expect(unavailable.message).toContain('apt-get install redis-server');
    expect(unavailable.message).toContain('REDIS_SERVER_BIN');
  });
});
