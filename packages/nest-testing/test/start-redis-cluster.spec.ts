import { existsSync } from 'node:fs';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisClusterNamespace, parseRedisClusterNodes, ServiceUnavailableError, startRedisCluster, type StartedRedisCluster } from '../src';
import { portOpen } from './support/port-open';
import { withEnv } from './support/with-env';

describe('startRedisCluster', () => {
  let cluster: StartedRedisCluster;
  let client: Cluster;

  beforeAll(async () => {
    cluster = await startRedisCluster({ strategies: ['embedded'] });
    client = new Cluster([...cluster.nodes]);
  });

  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  it('embedded: three masters on free ports, every slot assigned, the cluster ok', async () => {
    expect(cluster.source).toBe('embedded');
    expect(cluster.nodes).toHaveLength(3);
    expect(new Set(cluster.nodes.map((node) => node.port)).size).toBe(3);
    expect(cluster.url).toBe(cluster.nodes.map((node) => `127.0.0.1:${node.port}`).join(','));
    const info = String(await client.cluster('INFO'));
    expect(info).toMatch(/cluster_state:ok/);
    expect(info).toMatch(/cluster_slots_assigned:16384/);
    expect(info).toMatch(/cluster_size:3/);
  });

  it('keys land on different masters; a hash tag keeps keys in one slot', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `spread:${i}`);
    await Promise.all(keys.map((key) => client.set(key, '1')));
    const masters = client.nodes('master');
    expect(masters).toHaveLength(3);
    const counts = await Promise.all(masters.map(async (node) => Number(await node.dbsize())));
    expect(counts.filter((count) => count > 0)).toHaveLength(3);

    // Multi-key commands need one slot: plain keys are refused across slots, tagged ones are not.
    await expect(client.mget('spread:1', 'spread:2')).rejects.toThrow(/CROSSSLOT/);
    await client.set('{tag}:a', 'A');
    await client.set('{tag}:b', 'B');
    expect(await client.mget('{tag}:a', '{tag}:b')).toEqual(['A', 'B']);
  });

  it('masters run with AOF on and noeviction, so the posture checks of the queues accept them', async () => {
    for (const node of client.nodes('master')) {
      expect((await node.config('GET', 'appendonly'))[1]).toBe('yes');
      expect((await node.config('GET', 'maxmemory-policy'))[1]).toBe('noeviction');
    }
  });

  it('stop() ends every process and removes their directories', async () => {
    const other = await startRedisCluster({ strategies: ['embedded'], persistence: 'none' });
    const dirs = await Promise.all(
      other.nodes.map(async (node) => {
        const single = new Redis(node.port, node.host);
        try {
          return String((await single.config('GET', 'dir'))[1]);
        } finally {
          single.disconnect();
        }
      }),
    );
    expect(dirs.every((dir) => existsSync(dir))).toBe(true);
    await other.stop();
    for (const node of other.nodes) expect(await portOpen(`redis://${node.host}:${node.port}`)).toBe(false);
    expect(dirs.some((dir) => existsSync(dir))).toBe(false);
  });

  it('url: REDIS_CLUSTER_NODES is used as is and stop() leaves the cluster running', async () => {
    const viaEnv = await withEnv({ REDIS_CLUSTER_NODES: cluster.url }, () => startRedisCluster());
    expect(viaEnv).toMatchObject({ source: 'url', url: cluster.url, nodes: cluster.nodes });
    await viaEnv.stop();
    expect(await client.ping()).toBe('PONG');
  });

  it('createRedisClusterNamespace: a unique hash tag as prefix, on the given nodes', async () => {
    const namespace = await createRedisClusterNamespace({ nodes: cluster.url.split(',') });
    expect(namespace.nodes).toEqual(cluster.nodes);
    expect(namespace.prefix).toMatch(/^\{test_[a-z0-9_]+\}$/);
    expect(namespace.keyPrefix).toBe(`${namespace.prefix}:`);
  });

  it('refuses fewer than three masters and a node list that is not host:port', async () => {
    await expect(startRedisCluster({ masters: 2 })).rejects.toMatchObject({ code: 'TESTING_INVALID_OPTIONS' });
    expect(() => parseRedisClusterNodes('127.0.0.1:7000,redis://x')).toThrow(/host:port/);
    expect(parseRedisClusterNodes(' 10.0.0.1:7000, 10.0.0.2:7001 ')).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
    ]);
  });

  it('fails with a typed error that lists every strategy and says what to install', async () => {
    const error = await withEnv({ REDIS_CLUSTER_NODES: undefined, REDIS_SERVER_BIN: '/nonexistent/redis-server', ACME_TESTING_NO_CONTAINERS: '1' }, () =>
      startRedisCluster().then(
        () => undefined,
        (thrown: unknown) => thrown,
      ),
    );
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    const unavailable = error as ServiceUnavailableError;
    expect(unavailable.service).toBe('redisCluster');
    expect(unavailable.message).toContain('REDIS_CLUSTER_NODES is not set');
    expect(unavailable.message).toContain('redis-server not found');
    expect(unavailable.message).toContain('apt-get install redis-server');
  });
});
