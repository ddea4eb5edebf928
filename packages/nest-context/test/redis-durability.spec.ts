import { freePort, startRedis, type StartedService, type StartRedisOptions } from '@acme/nest-testing';
import { afterAll, describe, expect, it } from 'vitest';
import { assertRedisDurability, readRedisDurability, RedisDurabilityError, type RedisDurability } from '../src';
import { RespClient } from './support/resp-client';

const servers: StartedService[] = [];
const clients: RespClient[] = [];

/** A real redis-server with these settings, and a client on it. */
async function redisWith(options: StartRedisOptions): Promise<RespClient> {
  const server = await startRedis({ strategies: ['embedded'], ...options });
  servers.push(server);
  const client = new RespClient(server.url);
  clients.push(client);
  return client;
}

const OPTIONS = { component: 'ThingModule', optionName: 'allowVolatileRedis' };

async function refusal(client: RespClient): Promise<RedisDurabilityError> {
  const error = await assertRedisDurability(client, OPTIONS).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(RedisDurabilityError);
  return error as RedisDurabilityError;
}

afterAll(async () => {
  for (const client of clients) client.close();
  await Promise.all(servers.map((server) => server.stop()));
});

describe('readRedisDurability / assertRedisDurability against real redis-server processes', () => {
  it('AOF on (everysec) and noeviction: durable, no problems; assert returns the reading', async () => {
    const client = await redisWith({ persistence: 'aof' });
    const expected: RedisDurability = { aof: true, appendfsync: 'everysec', maxmemoryPolicy: 'noeviction', durable: true, problems: [] };
    expect(await readRedisDurability(client)).toEqual(expected);
    expect(await assertRedisDurability(client, OPTIONS)).toEqual(expected);
  });

  it('reads appendfsync always', async () => {
    const client = await redisWith({ persistence: 'aof', args: ['--appendfsync', 'always'] });
    expect(await readRedisDurability(client)).toMatchObject({ aof: true, appendfsync: 'always', durable: true });
  });

  it('AOF off: refused with CONTEXT_REDIS_NOT_DURABLE, naming the component, the setting, the fix and the option', async () => {
    const client = await redisWith({ persistence: 'none' });
    const error = await refusal(client);
    expect(error.code).toBe('CONTEXT_REDIS_NOT_DURABLE');
    expect(error.durability).toMatchObject({ aof: false, maxmemoryPolicy: 'noeviction', durable: false });
    expect(error.durability.problems).toHaveLength(1);
    expect(error.message).toContain('ThingModule refuses to start');
    expect(error.message).toContain('appendonly is off');
    expect(error.message).toContain('redis-cli CONFIG SET appendonly yes');
    expect(error.message).toContain('`appendonly yes`');
    expect(error.message).toContain('redis.conf');
    expect(error.message).toContain('ThingModule option "allowVolatileRedis" to true');
  });

  it('AOF off, allowVolatile: returns the non-durable reading instead of throwing', async () => {
    const client = await redisWith({ persistence: 'none' });
    const reading = await assertRedisDurability(client, { ...OPTIONS, allowVolatile: true });
    expect(reading).toMatchObject({ aof: false, appendfsync: 'everysec', durable: false });
    expect(reading.problems[0]).toMatch(/appendonly is off/);
  });

  it('an evicting maxmemory-policy (allkeys-lru) with AOF on: refused, naming the policy and noeviction', async () => {
    const client = await redisWith({ persistence: 'aof', args: ['--maxmemory-policy', 'allkeys-lru'] });
    const error = await refusal(client);
    expect(error.durability).toMatchObject({ aof: true, maxmemoryPolicy: 'allkeys-lru', durable: false });
    expect(error.message).toContain('maxmemory-policy is allkeys-lru');
    expect(error.message).toContain('redis-cli CONFIG SET maxmemory-policy noeviction');
    expect(error.message).not.toContain('appendonly is off');
  });

  it('both wrong: one problem per setting', async () => {
    const client = await redisWith({ persistence: 'none', args: ['--maxmemory-policy', 'volatile-ttl'] });
    const { durability } = await refusal(client);
    expect(durability.problems).toHaveLength(2);
    expect(durability.problems.join(' ')).toMatch(/appendonly is off.*maxmemory-policy is volatile-ttl/);
  });

  it('CONFIG renamed away (managed Redis): decided from INFO alone, appendfsync unknown, still durable', async () => {
    const client = await redisWith({ persistence: 'aof', args: ['--rename-command', 'CONFIG', ''] });
    await expect(client.config('GET', 'appendfsync')).rejects.toThrow(/unknown command/i);
    expect(await assertRedisDurability(client, OPTIONS)).toEqual({
      aof: true,
      appendfsync: null,
      maxmemoryPolicy: 'noeviction',
      durable: true,
      problems: [],
    });
  });

  it('CONFIG renamed away with AOF off: still refused (INFO tells)', async () => {
    const client = await redisWith({ persistence: 'none', args: ['--rename-command', 'CONFIG', ''] });
    expect((await refusal(client)).durability).toMatchObject({ aof: false, appendfsync: null });
  });

  it('a client without config(): INFO is enough', async () => {
    const client = await redisWith({ persistence: 'aof' });
    expect(await readRedisDurability({ info: (section) => client.info(section) })).toMatchObject({ durable: true, appendfsync: null });
  });

  it('INFO unreadable (renamed away): fails closed, saying INFO could not be read', async () => {
    const client = await redisWith({ persistence: 'aof', args: ['--rename-command', 'INFO', ''] });
    const error = await refusal(client);
    expect(error.durability).toMatchObject({ aof: null, maxmemoryPolicy: null, durable: false });
    expect(error.durability.problems).toEqual([expect.stringMatching(/^INFO could not be read \(.*unknown command.*\)/i)]);
  });

  it('Redis unreachable: fails closed', async () => {
    const client = new RespClient(`redis://127.0.0.1:${await freePort()}`);
    clients.push(client);
    const error = await refusal(client);
    expect(error.durability).toMatchObject({ aof: null, maxmemoryPolicy: null, durable: false });
    expect(error.message).toMatch(/INFO could not be read \(.*ECONNREFUSED.*\).*check that Redis is reachable/);
  });
});
