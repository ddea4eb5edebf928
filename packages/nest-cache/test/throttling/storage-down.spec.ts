import { createServer, type Server, type Socket } from 'node:net';
import { RedisThrottlerStorage, TenantThrottlerGuard, WhenThrottlerUnavailable } from '@acme/nest-cache';
import { uuidv7 } from '@acme/nest-context';
import { bearer, startHttpApp, startRedis, type HttpTestApp, type StartedService } from '@acme/nest-testing';
import { Controller, Get, type LoggerService } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ItemsController, throttledModule } from './support';

@Controller('guarded')
class GuardedController {
  @Get('closed')
  @WhenThrottlerUnavailable('closed')
  closed() {
    return { ok: true };
  }

  @Get('open')
  @WhenThrottlerUnavailable('open')
  open() {
    return { ok: true };
  }
}

/** Collects the apps' warnings. */
class Warnings implements LoggerService {
  readonly lines: string[] = [];
  log() {}
  error() {}
  warn(message: unknown) {
    this.lines.push(String(message));
  }
}

const throttlers = [
  { name: 'burst', limit: 3, ttl: 1_000 },
  { name: 'minute', limit: 50, ttl: 60_000 },
];

describe('TenantThrottlerGuard when the storage is unavailable', () => {
  let redis: StartedService;
  const apps: HttpTestApp[] = [];
  const warnings = new Warnings();
  let open: HttpTestApp;
  let closed: HttpTestApp;

  beforeAll(async () => {
    redis = await startRedis({ strategies: ['embedded'], persistence: 'none' });
    const storage = () => new RedisThrottlerStorage({ connection: { url: redis.url }, prefix: 'down', timeoutMs: 500 });
    const controllers = [ItemsController, GuardedController];
    open = await startHttpApp(throttledModule({ storage: storage(), throttlers, controllers }), 'express', { logger: warnings });
    closed = await startHttpApp(
      throttledModule({
        storage: storage(),
        throttlers,
        controllers,
        guard: TenantThrottlerGuard.withOptions({ whenUnavailable: 'closed', unavailableRetryAfterSeconds: 7 }),
      }),
      'express',
      { logger: warnings },
    );
    apps.push(open, closed);
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await redis?.stop();
  });

  it('limits while Redis is up', async () => {
    const headers = bearer({ ws: uuidv7() });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await open.request('GET', '/items', { headers })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  describe('after Redis went away', () => {
    beforeAll(async () => {
      await redis.stop();
    });

    it('fail open (the default): requests go through, past the limit, with one warning', async () => {
      const headers = bearer({ ws: uuidv7() });
      const started = Date.now();
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await open.request('GET', '/items', { headers })).status);
      expect(statuses).toEqual(Array(6).fill(200));
      expect(Date.now() - started).toBeLessThan(6 * 600);
      expect(warnings.lines.filter((line) => line.includes('Rate limits could not be checked'))).toHaveLength(1);
      expect(warnings.lines.find((line) => line.includes('could not be checked'))).toContain('let through unlimited');
    });

    it("fail closed on a route marked @WhenThrottlerUnavailable('closed'): 503 CACHE_THROTTLER_UNAVAILABLE with Retry-After", async () => {
      const response = await open.request('GET', '/guarded/closed', { headers: bearer({ ws: uuidv7() }) });
      expect(response.status).toBe(503);
      expect(response.body).toEqual({ statusCode: 503, code: 'CACHE_THROTTLER_UNAVAILABLE', message: expect.stringMatching(/try again in 5 seconds/) });
      expect(response.headers.get('retry-after')).toBe('5');
    });

    it("a guard made with withOptions({ whenUnavailable: 'closed' }) fails closed everywhere but routes marked open", async () => {
      const headers = bearer({ ws: uuidv7() });
      const refused = await closed.request('GET', '/items', { headers });
      expect(refused.status).toBe(503);
      expect(refused.body.code).toBe('CACHE_THROTTLER_UNAVAILABLE');
      expect(refused.headers.get('retry-after')).toBe('7');
      expect((await closed.request('GET', '/guarded/open', { headers })).status).toBe(200);
    });
  });
});

describe('TenantThrottlerGuard when Redis accepts connections but never answers', () => {
  let silent: Server;
  const sockets = new Set<Socket>();
  let open: HttpTestApp;
  beforeAll(async () => {
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const storage = new RedisThrottlerStorage({ connection: { host: '127.0.0.1', port }, prefix: 'silent', timeoutMs: 300 });
    open = await startHttpApp(throttledModule({ storage, throttlers, controllers: [ItemsController, GuardedController] }), 'express');
  });
  afterAll(async () => {
    await open?.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('answers within the storage timeout, once per request however many throttlers: open passes, closed is 503', async () => {
    const headers = bearer({ ws: uuidv7() });
    let started = Date.now();
    expect((await open.request('GET', '/items', { headers })).status).toBe(200);
    // Two throttlers, one wait: the second is not tried once the first found the storage unavailable.
    expect(Date.now() - started).toBeLessThan(550);
    started = Date.now();
    const refused = await open.request('GET', '/guarded/closed', { headers });
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('CACHE_THROTTLER_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(550);
  });
});
