import { RedisThrottlerStorage, workspaceTracker } from '@acme/nest-cache';
import { uuidv7 } from '@acme/nest-context';
import { bearer, type HttpTestApp } from '@acme/nest-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplica, storageOptions } from './support';

const LIMIT = 10;

// Two replicas of one API (two Nest apps, each with a storage and connection of its own) on one Redis.
describe('TenantThrottlerGuard across two replicas', () => {
  const replicas: HttpTestApp[] = [];
  beforeAll(async () => {
    const options = await storageOptions();
    for (let i = 0; i < 2; i++) {
      replicas.push(
        await startReplica({
          storage: new RedisThrottlerStorage({ connection: { url: options.url }, prefix: options.prefix }),
          common: { getTracker: workspaceTracker },
          throttlers: [{ name: 'workspace', limit: LIMIT, ttl: 60_000 }],
        }),
      );
    }
  });
  afterAll(() => Promise.all(replicas.map((replica) => replica.close())));

  it('holds a workspace to the limit summed over both replicas; another workspace is unaffected', async () => {
    const busy = bearer({ ws: uuidv7(), sub: 'u1' });
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++) statuses.push((await replicas[i % 2]!.request('GET', '/items', { headers: busy })).status);
    expect(statuses).toEqual(Array(LIMIT).fill(200));

    for (const replica of replicas) {
      const refused = await replica.request('GET', '/items', { headers: busy });
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ statusCode: 429, code: 'CACHE_RATE_LIMITED' });
      expect(refused.body.message).toMatch(/try again in \d+ seconds/);
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }

    const other = bearer({ ws: uuidv7(), sub: 'u1' });
    expect((await replicas[0]!.request('GET', '/items', { headers: other })).status).toBe(200);
    expect((await replicas[1]!.request('GET', '/items', { headers: other })).status).toBe(200);
  });

  it('never lets more than the limit through when 100 requests arrive at once on both replicas (atomic counting)', async () => {
    const headers = bearer({ ws: uuidv7(), sub: 'u1' });
    const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => replicas[i % 2]!.request('GET', i % 3 ? '/items' : `/items/${i}`, { headers })));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(LIMIT);
    expect(statuses.filter((status) => status === 429)).toHaveLength(100 - LIMIT);
    expect(new Set(responses.filter((r) => r.status === 429).map((r) => r.body.code))).toEqual(new Set(['CACHE_RATE_LIMITED']));
  });

  it('without a workspace in the context, counts per client IP', async () => {
    // Anonymous: every request of this test comes from 127.0.0.1, and shares one counter.
    const anonymous = await Promise.all(Array.from({ length: LIMIT + 3 }, (_, i) => replicas[i % 2]!.request('GET', '/items')));
    expect(anonymous.filter((response) => response.status === 200)).toHaveLength(LIMIT);
    // A signed-in workspace from the same IP has its own counter.
    expect((await replicas[0]!.request('GET', '/items', { headers: bearer({ ws: uuidv7() }) })).status).toBe(200);
  });
});
