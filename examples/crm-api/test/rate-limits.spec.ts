import { ErrorBody } from '@acme-examples/crm-contracts';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../src/http-app';
import { startCrmFixture, type CrmFixture, type Persona } from './support/fixture';
import { metricValue } from './support/metrics';

const WORKSPACE_LIMIT = 12;
const USER_LIMIT = 8;

type HttpServer = ReturnType<NestExpressApplication['getHttpServer']>;

// The API-wide limits on two API instances sharing one Redis (and one database): a workspace's
// requests are counted together whichever instance answers them, other workspaces and other users
// keep their own counts, and a refusal is 429 CACHE_RATE_LIMITED with Retry-After.
describe('rate limits per workspace and per user, across two API instances', () => {
  let f: CrmFixture;
  let replica: NestExpressApplication;
  let servers: HttpServer[];

  beforeAll(async () => {
    f = await startCrmFixture({ RATE_LIMIT_WORKSPACE_PER_MINUTE: String(WORKSPACE_LIMIT), RATE_LIMIT_USER_PER_MINUTE: String(USER_LIMIT) });
    replica = await createHttpApp({ env: f.env, logger: false });
    await replica.init();
    servers = [f.server, replica.getHttpServer()];
  });
  afterAll(async () => {
    await replica?.close();
    await f?.close();
  });

  const get = (i: number, persona: Persona, path = '/companies') =>
    request(servers[i % 2]!)
      .get(path)
      .set(f.as(persona));

  it('a workspace’s limit holds for the sum of both instances; the refusal is 429 CACHE_RATE_LIMITED with Retry-After', async () => {
    const throttled = await metricValue(f.server, 'acme_cache_throttled_total', { route: 'GET /companies' });
    const statuses = [];
    // Two Globex users, alternating between the instances: 6 requests each, under the user limit.
    for (let i = 0; i < WORKSPACE_LIMIT; i++) statuses.push((await get(i, i % 4 < 2 ? 'globexAdmin' : 'globexPipeline')).status);
    expect(statuses).toEqual(Array(WORKSPACE_LIMIT).fill(200));
    for (const [i, persona] of [
      [0, 'globexAdmin'],
      [1, 'globexPipeline'],
    ] as const) {
      const refused = await get(i, persona);
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ statusCode: 429, code: 'CACHE_RATE_LIMITED', message: expect.stringMatching(/try again in \d+ seconds?/) });
      expect(ErrorBody.safeParse(refused.body).success, 'the contract’s ErrorBody').toBe(true);
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }
    // Every route of the workspace shares the count; probes and scrapers are never limited.
    expect((await get(0, 'globexAdmin', '/deals')).status).toBe(429);
    expect((await request(servers[1]!).get('/health')).status).toBe(200);
    expect(await metricValue(f.server, 'acme_cache_throttled_total', { route: 'GET /companies' })).toBe(throttled + 2);
  });

  it('another workspace is unaffected', async () => {
    expect((await get(0, 'admin')).status).toBe(200);
    expect((await get(1, 'pipeline')).status).toBe(200);
  });

  it('a user’s limit holds across both instances, and other users of the workspace keep theirs', async () => {
    const statuses = [];
    for (let i = 0; i < USER_LIMIT; i++) statuses.push((await get(i, 'viewer')).status);
    expect(statuses).toEqual(Array(USER_LIMIT).fill(200));
    const refused = await get(1, 'viewer');
    expect([refused.status, refused.body.code]).toEqual([429, 'CACHE_RATE_LIMITED']);
    expect((await get(0, 'operator')).status).toBe(200);
  });
});
