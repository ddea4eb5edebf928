import { createServer, connect, type Server, type Socket } from 'node:net';
import { createRedisNamespace } from '@acme/nest-testing';
import { ErrorBody } from '@acme-examples/crm-contracts';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../src/database/seed';
import { DEMO_PASSWORD } from '../src/database/seed-data';
import { createHttpApp } from '../src/http-app';
import { entriesOf } from './support/audit-log';
import { startCrmFixture, type CrmFixture } from './support/fixture';
import { startTestApp, type TestApp } from './support/test-app';

// Each test signs in from its own client address (X-Forwarded-For, trusted from loopback), so the
// per-IP counters of one test never touch another's. Limits: 5 per email (default), 8 per IP.
const ENV = { TRUST_PROXY: 'loopback', LOGIN_IP_LIMIT: '8' };
const WRONG = 'wrong-password-2026';

type HttpServer = ReturnType<NestExpressApplication['getHttpServer']>;
const loginOn = (server: HttpServer, ip: string, email: string, password: string) =>
  request(server).post('/auth/login').set('x-forwarded-for', ip).send({ email, password });
const outcome = (response: request.Response) => (response.status === 200 ? '200' : `${response.status} ${ErrorBody.parse(response.body).code}`);
const counter = async (server: HttpServer, line: string) =>
  Number((await request(server).get('/metrics')).text.match(new RegExp(`^${line} (\\d+)`, 'm'))?.[1] ?? 0);

describe('sign-in throttling', () => {
  let f: CrmFixture;
  beforeAll(async () => {
    f = await startCrmFixture(ENV);
  });
  afterAll(async () => f?.close());
  const login = (ip: string, email: string, password = DEMO_PASSWORD) => loginOn(f.server, ip, email, password);

  it('the 6th attempt on one email is 429 with Retry-After, even with the right password, and from any IP', async () => {
    const ip = '198.51.100.1';
    const wrong = [];
    for (let i = 0; i < 5; i++) wrong.push(outcome(await login(ip, 'grace@northwind.test', WRONG)));
    expect(wrong).toEqual(Array(5).fill('401 INVALID_CREDENTIALS'));
    const sixth = await login(ip, 'grace@northwind.test');
    expect(outcome(sixth)).toBe('429 TOO_MANY_REQUESTS');
    const retryAfter = Number(sixth.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(800);
    expect(retryAfter).toBeLessThanOrEqual(900);
    expect(sixth.body.message).toMatch(/try again in 15 minutes/);
    // The email is what is limited: another address, another spelling of the email, still refused.
    expect(outcome(await login('198.51.100.99', '  GRACE@Northwind.TEST '))).toBe('429 TOO_MANY_REQUESTS');
    expect(outcome(await login('198.51.100.99', 'grace@northwind.test'))).toBe('429 TOO_MANY_REQUESTS');
  });

  it('a throttled attempt is audited as a Sign In Failure naming the account', async () => {
    const ip = '198.51.100.2';
    for (let i = 0; i < 5; i++) await login(ip, 'hank@globex.test', WRONG);
    const refused = await login(ip, 'hank@globex.test');
    expect(refused.status).toBe(429);
    const entries = await entriesOf(f.ownerUrl, refused.headers['x-request-id'] as string);
    expect(entries).toEqual([
      expect.objectContaining({
        action: 'Sign In',
        subject: 'User',
        status: 'Failure',
        error_code: 'TOO_MANY_REQUESTS',
        subject_id: f.userIds.globexAdmin,
        workspace_id: null,
        actor_id: null,
      }),
    ]);
  });

  it('successful sign-ins do not count: only failed ones do', async () => {
    const ip = '198.51.100.3';
    const answers = [];
    for (let i = 0; i < 12; i++) answers.push(outcome(await login(ip, 'linus@northwind.test')));
    expect(answers).toEqual(Array(12).fill('200'));
    for (let i = 0; i < 4; i++) expect(outcome(await login(ip, 'linus@northwind.test', WRONG))).toBe('401 INVALID_CREDENTIALS');
    expect(outcome(await login(ip, 'linus@northwind.test'))).toBe('200');
    expect(outcome(await login(ip, 'linus@northwind.test', WRONG))).toBe('401 INVALID_CREDENTIALS');
    expect(outcome(await login(ip, 'linus@northwind.test'))).toBe('429 TOO_MANY_REQUESTS');
  });

  it('another email from the same IP works until the IP limit; then every email from that IP is refused, and only there', async () => {
    const ip = '198.51.100.4';
    const throttledBefore = await counter(f.server, 'login_throttled_total\\{limit="IP Address"\\}');
    for (let i = 0; i < 4; i++) expect(outcome(await login(ip, 'frank@globex.test', WRONG))).toBe('401 INVALID_CREDENTIALS');
    expect(outcome(await login(ip, 'mary@northwind.test'))).toBe('200');
    for (let i = 0; i < 4; i++) expect(outcome(await login(ip, `nobody-${i}@northwind.test`, WRONG))).toBe('401 INVALID_CREDENTIALS');
    // 8 failures from this IP: the 9th attempt is refused whatever the email and password.
    const refused = await login(ip, 'mary@northwind.test');
    expect(outcome(refused)).toBe('429 TOO_MANY_REQUESTS');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(800);
    expect(await counter(f.server, 'login_throttled_total\\{limit="IP Address"\\}')).toBe(throttledBefore + 1);
    const [entry] = await entriesOf(f.ownerUrl, refused.headers['x-request-id'] as string);
    expect(entry).toMatchObject({ action: 'Sign In', status: 'Failure', error_code: 'TOO_MANY_REQUESTS', subject_id: f.userIds.viewer });
    // The same emails from another address: mary signs in, frank (4 failures) still may.
    expect(outcome(await login('198.51.100.40', 'mary@northwind.test'))).toBe('200');
    expect(outcome(await login('198.51.100.40', 'frank@globex.test'))).toBe('200');
  });

  it('only sign-in is limited: other routes from a refused IP answer as usual', async () => {
    const ip = '198.51.100.5';
    const session = (await login(ip, 'ada@northwind.test').expect(200)).body as { access_token: string; refresh_token: string };
    for (let i = 0; i < 8; i++) await login(ip, `nobody-${i}@northwind.test`, WRONG);
    expect(outcome(await login(ip, 'ada@northwind.test'))).toBe('429 TOO_MANY_REQUESTS');
    const from = (pending: request.Test) => pending.set('x-forwarded-for', ip);
    expect((await from(request(f.server).get('/me')).set('authorization', `Bearer ${session.access_token}`)).status).toBe(200);
    expect((await from(request(f.server).post('/auth/refresh')).send({ refresh_token: session.refresh_token })).status).toBe(200);
    const registered = await from(request(f.server).post('/auth/register')).send({
      email: 'throttle-new@startup.test',
      password: 'a long enough passphrase',
      name: 'New',
      workspace_name: 'New Co',
    });
    expect(registered.status).toBe(201);
    expect((await from(request(f.server).get('/health'))).status).toBe(200);
  });

  it('malformed sign-in bodies count against the IP, never against an email, and stay 400s until the limit', async () => {
    const ip = '198.51.100.6';
    const bad = [];
    for (let i = 0; i < 8; i++)
      bad.push(
        outcome(
          await request(f.server)
            .post('/auth/login')
            .set('x-forwarded-for', ip)
            .send({ email: ['grace@northwind.test'], password: 1 }),
        ),
      );
    expect(bad).toEqual(Array(8).fill('400 VALIDATION_FAILED'));
    expect(outcome(await login(ip, 'ada@northwind.test'))).toBe('429 TOO_MANY_REQUESTS');
    expect(outcome(await login('198.51.100.60', 'ada@northwind.test'))).toBe('200');
  });

  describe('two API instances on one Redis', () => {
    let second: NestExpressApplication;
    beforeAll(async () => {
      second = await createHttpApp({ env: f.env, logger: false });
      await second.init();
    });
    afterAll(async () => second?.close());

    it('share one count per email: failures on either add up', async () => {
      const servers = [f.server, second.getHttpServer()];
      const answers = [];
      for (let i = 0; i < 5; i++) answers.push(outcome(await loginOn(servers[i % 2]!, `198.51.100.${70 + i}`, 'mary@northwind.test', WRONG)));
      expect(answers).toEqual(Array(5).fill('401 INVALID_CREDENTIALS'));
      expect(outcome(await loginOn(servers[1]!, '198.51.100.80', 'mary@northwind.test', DEMO_PASSWORD))).toBe('429 TOO_MANY_REQUESTS');
      expect(outcome(await loginOn(servers[0]!, '198.51.100.81', 'mary@northwind.test', DEMO_PASSWORD))).toBe('429 TOO_MANY_REQUESTS');
    });

    it('let exactly 5 of 30 concurrent guesses on one email through, across both instances', async () => {
      const servers = [f.server, second.getHttpServer()];
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) => loginOn(servers[i % 2]!, `203.0.113.${i + 1}`, 'operator-race@northwind.test', WRONG)),
      );
      const counts = answers.map(outcome).reduce<Record<string, number>>((all, answer) => ({ ...all, [answer]: (all[answer] ?? 0) + 1 }), {});
      expect(counts).toEqual({ '401 INVALID_CREDENTIALS': 5, '429 TOO_MANY_REQUESTS': 25 });
    });
  });
});

/**
 * A TCP hop between the app and Redis that can stop answering (`hang`: connections stay open, no
 * byte goes through) or refuse connections (`cut`), then heal.
 */
class FlakyRedis {
  private readonly pairs = new Set<[Socket, Socket]>();
  private server: Server | undefined;
  private mode: 'up' | 'hang' = 'up';
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async listen(port = 0): Promise<string> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      client.pipe(upstream).pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.pairs.delete(pair);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      if (this.mode === 'hang') this.hangPair(pair);
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return `redis://127.0.0.1:${this.port}`;
  }

  hang(): void {
    this.mode = 'hang';
    for (const pair of this.pairs) this.hangPair(pair);
  }

  heal(): void {
    this.mode = 'up';
    for (const [client, upstream] of this.pairs) {
      client.resume();
      upstream.resume();
    }
  }

  async cut(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    await closed;
  }

  async restore(): Promise<void> {
    await this.listen(this.port);
  }

  private hangPair([client, upstream]: [Socket, Socket]): void {
    client.pause();
    upstream.pause();
  }
}

describe('sign-in while Redis is unavailable', () => {
  let t: TestApp;
  let redis: FlakyRedis;
  beforeAll(async () => {
    const { url } = await createRedisNamespace({ prefix: 'crm' });
    const target = new URL(url);
    redis = new FlakyRedis({ host: target.hostname, port: Number(target.port) });
    t = await startTestApp({ REDIS_URL: await redis.listen() });
    await seedDemo(t.ownerUrl, { argon2MemoryKib: 1024 });
  });
  afterAll(async () => {
    redis?.heal();
    await t?.close();
  });
  const login = () => request(t.server).post('/auth/login').send({ email: 'ada@northwind.test', password: DEMO_PASSWORD });

  it('fails closed: 503 SERVICE_UNAVAILABLE with Retry-After within about a second when Redis hangs, never 500; then recovers', async () => {
    expect((await login()).status).toBe(200);
    const errorsBefore = await counter(t.server, 'login_throttle_errors_total');
    redis.hang();
    const started = Date.now();
    const refused = await login();
    expect(outcome(refused)).toBe('503 SERVICE_UNAVAILABLE');
    expect(refused.headers['retry-after']).toBe('5');
    expect(Date.now() - started).toBeLessThan(3_000);
    redis.heal();
    expect(await counter(t.server, 'login_throttle_errors_total')).toBe(errorsBefore + 1);
    expect((await login()).status).toBe(200);
  });

  it('fails closed when Redis refuses connections too, and recovers when it is back', async () => {
    await redis.cut();
    const started = Date.now();
    expect(outcome(await login())).toBe('503 SERVICE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(3_000);
    await redis.restore();
    await expect.poll(async () => (await login()).status, { timeout: 10_000, interval: 200 }).toBe(200);
  });
});
