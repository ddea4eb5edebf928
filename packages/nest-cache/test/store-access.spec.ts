import { uuidv7 } from '@acme/nest-context';
import { createRedisNamespace } from '@acme/nest-testing';
import KeyvRedis, { createKeyv } from '@keyv/redis';
import { Keyv } from 'keyv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyvAccess, redisAdapterAccess } from '../src/store-access';

describe('how TenantCache reaches its store', () => {
  let url: string;
  const opened: Keyv[] = [];
  const open = (keyv: Keyv) => (opened.push(keyv), keyv);
  beforeAll(async () => {
    url = (await createRedisNamespace({ prefix: 'cache-access' })).url;
  });
  afterAll(() => Promise.all(opened.map((keyv) => keyv.disconnect())));

  it('a @keyv/redis store is written bare, at the key Keyv would use, with its TTL', async () => {
    const keyv = open(createKeyv(url));
    const access = redisAdapterAccess(keyv)!;
    expect(access).toBeDefined();
    const key = `entry:${uuidv7()}`;
    await access.set(key, 'v1\n\n{"a":1}', 60_000);
    const client = (keyv.store as KeyvRedis<string>).client;
    const stored = keyv._getKeyPrefix(key);
    expect(await client.get(stored)).toBe('v1\n\n{"a":1}');
    const ttl = await client.pTTL(stored);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(await access.getMany([key, `absent:${uuidv7()}`])).toEqual(['v1\n\n{"a":1}', undefined]);
  });

  it("reads what Keyv wrote (an earlier version of the package), and honours the envelope's expiry", async () => {
    const keyv = open(createKeyv(url));
    const [written, expired] = [`v:${uuidv7()}`, `v:${uuidv7()}`];
    await keyvAccess(keyv).set(written, '0190a0b2-0000-7000-8000-000000000001', 0);
    // An envelope whose expiry passed while Redis still holds it (a store without native TTL would keep it).
    await (keyv.store as KeyvRedis<string>).set(keyv._getKeyPrefix(expired), JSON.stringify({ value: 'old', expires: Date.now() - 1 }));
    expect(await redisAdapterAccess(keyv)!.getMany([written, expired])).toEqual(['0190a0b2-0000-7000-8000-000000000001', undefined]);
  });

  it('a value that would look like an envelope is written in one, and reads back as written', async () => {
    const keyv = open(createKeyv(url));
    const access = redisAdapterAccess(keyv)!;
    const key = `odd:${uuidv7()}`;
    await access.set(key, '{"value":"not this"}', 0);
    expect(await access.getMany([key])).toEqual(['{"value":"not this"}']);
  });

  it.each([
    ['a serializer of its own', () => new Keyv(new KeyvRedis(url), { serialize: JSON.stringify, deserialize: JSON.parse })],
    ['compression', () => new Keyv(new KeyvRedis(url), { compression: { compress: (v: unknown) => v, decompress: (v: unknown) => v } as never })],
    ['stats on', () => new Keyv(new KeyvRedis(url), { stats: true })],
    [
      'a hook',
      () => {
        const keyv = new Keyv(new KeyvRedis(url));
        keyv.hooks.addHandler('preSet', () => undefined);
        return keyv;
      },
    ],
  ])('a Keyv with %s is used through Keyv, which must see every call', async (_, create) => {
    const keyv = open(create());
    expect(redisAdapterAccess(keyv)).toBeUndefined();
  });

  it('a store that is not @keyv/redis (no native expiry) is used through Keyv', () => {
    expect(redisAdapterAccess(new Keyv())).toBeUndefined();
  });
});
