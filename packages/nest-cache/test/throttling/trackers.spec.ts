import { identityTracker, RedisThrottlerStorage, submittedIdentity, userTracker, workspaceTracker } from '@acme/nest-cache';
import { uuidv7 } from '@acme/nest-context';
import { bearer, type HttpTestApp } from '@acme/nest-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplica, storageOptions } from './support';

/** Requests "from" an address: the apps trust X-Forwarded-For, as behind a proxy. */
const from = (ip: string, headers: Record<string, string> = {}) => ({ 'x-forwarded-for': ip, ...headers });

async function trustProxy(http: HttpTestApp): Promise<HttpTestApp> {
  http.app.getHttpAdapter().getInstance().set('trust proxy', true);
  return http;
}

describe('userTracker', () => {
  let http: HttpTestApp;
  beforeAll(async () => {
    const options = await storageOptions();
    http = await startReplica({
      storage: new RedisThrottlerStorage(options),
      common: { getTracker: userTracker },
      throttlers: [{ name: 'user', limit: 3, ttl: 60_000 }],
    });
  });
  afterAll(() => http?.close());

  it('counts two users of one workspace separately', async () => {
    const ws = uuidv7();
    const ada = bearer({ ws, sub: `ada-${uuidv7()}` });
    const bob = bearer({ ws, sub: `bob-${uuidv7()}` });
    const adaStatuses = [];
    for (let i = 0; i < 4; i++) adaStatuses.push((await http.request('GET', '/items', { headers: ada })).status);
    expect(adaStatuses).toEqual([200, 200, 200, 429]);
    expect((await http.request('GET', '/items', { headers: bob })).status).toBe(200);
  });

  it('with workspaceTracker instead, the same two users share their workspace’s counter', async () => {
    const options = await storageOptions();
    const shared = await startReplica({
      storage: new RedisThrottlerStorage(options),
      common: { getTracker: workspaceTracker },
      throttlers: [{ name: 'workspace', limit: 3, ttl: 60_000 }],
    });
    try {
      const ws = uuidv7();
      for (let i = 0; i < 3; i++) expect((await shared.request('GET', '/items', { headers: bearer({ ws, sub: 'ada' }) })).status).toBe(200);
      expect((await shared.request('GET', '/items', { headers: bearer({ ws, sub: 'bob' }) })).status).toBe(429);
    } finally {
      await shared.close();
    }
  });
});

describe('identityTracker (sign-in and other anonymous routes)', () => {
  let http: HttpTestApp;
  beforeAll(async () => {
    const options = await storageOptions();
    http = await trustProxy(
      await startReplica({
        storage: new RedisThrottlerStorage(options),
        common: { getTracker: identityTracker('email') },
        throttlers: [{ name: 'login', limit: 2, ttl: 60_000 }],
      }),
    );
  });
  afterAll(() => http?.close());

  const login = (ip: string, body: unknown) => http.request('POST', '/login', { headers: from(ip), body });
  const statuses = async (ip: string, body: unknown, times: number) => {
    const result = [];
    for (let i = 0; i < times; i++) result.push((await login(ip, body)).status);
    return result;
  };

  it('counts different emails from one IP separately', async () => {
    expect(await statuses('203.0.113.1', { email: 'ada@example.test' }, 3)).toEqual([201, 201, 429]);
    expect(await statuses('203.0.113.1', { email: 'bob@example.test' }, 1)).toEqual([201]);
  });

  it('counts one email from two IPs separately', async () => {
    expect(await statuses('203.0.113.2', { email: 'cy@example.test' }, 3)).toEqual([201, 201, 429]);
    expect(await statuses('203.0.113.3', { email: 'cy@example.test' }, 1)).toEqual([201]);
  });

  it('counts one account once however its email is spelled', async () => {
    expect(await statuses('203.0.113.4', { email: 'Dee@Example.test' }, 1)).toEqual([201]);
    expect(await statuses('203.0.113.4', { email: '  dee@example.TEST ' }, 1)).toEqual([201]);
    expect(await statuses('203.0.113.4', { email: 'ｄee@example.test' }, 1)).toEqual([429]); // fullwidth ｄ: NFKC
  });

  it('answers hostile identity input with 2xx/4xx, never 500, and counts it without an identity', async () => {
    const hostile: unknown[] = [
      { email: 'nul\u0000@example.test' },
      { email: 'x'.repeat(50_000) },
      { email: 42 },
      { email: ['ada@example.test'] },
      { email: { $ne: null } },
      { email: null },
      { email: true },
      { email: '\ud800@example.test' },
      { email: '\u202eada@example.test' },
      { email: '' },
      { other: 'field' },
      ['email', 'ada@example.test'],
      'ada@example.test',
      JSON.parse('{"__proto__": {"email": "ada@example.test"}}'),
    ];
    const seen: number[] = [];
    for (const body of hostile) seen.push((await login('203.0.113.5', body)).status);
    const raw = await fetch(`${http.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...from('203.0.113.5') },
      body: '{"email": "a\\u0000',
    });
    seen.push(raw.status);
    expect(seen.filter((status) => status >= 500)).toEqual([]);
    for (const status of seen) expect([201, 400, 413, 429]).toContain(status);
    // None of them had a usable identity: one counter for all (limit 2), apart from real accounts.
    expect(seen.filter((status) => status === 201)).toHaveLength(2);
    expect(await statuses('203.0.113.5', { email: 'eve@example.test' }, 1)).toEqual([201]);
  });

  it('submittedIdentity normalises, and refuses what is not an identity', () => {
    expect(submittedIdentity({ email: ' Ada@Example.TEST ' })).toBe('ada@example.test');
    expect(submittedIdentity({ login: 'Ada' }, 'login')).toBe('ada');
    for (const body of [
      undefined,
      null,
      'x',
      42,
      [],
      { email: 1 },
      { email: 'a\u0000b' },
      { email: 'x'.repeat(257) },
      { email: '   ' },
      Object.create({ email: 'inherited' }),
    ]) {
      expect(submittedIdentity(body)).toBeUndefined();
    }
  });
});
