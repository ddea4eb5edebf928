import { RedisThrottlerStorage, ThrottlerOptionsError } from '@acme/nest-cache';
import { uuidv7 } from '@acme/nest-context';
import { createRedisClusterNamespace, type RedisClusterNamespace } from '@acme/nest-testing';
import KeyvRedis, { Keyv } from '@keyv/redis';
import { Cluster } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCacheApp, TestAuditedWrites, type CacheApp } from './support/cache-app';

// TenantCache and the throttler storage on a Redis Cluster of three masters: every multi-key
// operation (a read of an entry with its versions, a hit's Lua script) stays within one slot.
describe('on Redis Cluster', () => {
  let namespace: RedisClusterNamespace;
  let prefix: string;
  let inspector: Cluster;

  beforeAll(async () => {
    namespace = await createRedisClusterNamespace({ prefix: 'cache' });
    // No tag in these prefixes: the workspace is the tag, so workspaces spread over the masters.
    prefix = namespace.prefix.replace(/[{}]/g, '');
    inspector = new Cluster([...namespace.nodes]);
  });
  afterAll(() => inspector?.disconnect());

  describe('TenantCache (Keyv over a node-redis cluster client)', () => {
    const writes = new TestAuditedWrites();
    const registry = new Registry();
    let app: CacheApp;
    let store: Keyv;
    beforeAll(async () => {
      store = new Keyv(new KeyvRedis({ rootNodes: namespace.nodes.map((node) => ({ url: `redis://${node.host}:${node.port}` })) }));
      // The cluster client connects on first use (every node, then the slot map): longer than the
      // cache's 250 ms timeoutMs on a busy machine, so calls would bypass until it is connected.
      await store.get('warm-up');
      app = await startCacheApp({ cache: { stores: [store], prefix, metrics: { registry } }, auditedWrites: writes });
    });
    afterAll(() => app?.close());

    it('get, set, wrap and invalidate per workspace', async () => {
      const [w, other] = [uuidv7(), uuidv7()];
      const key = { subject: 'Deal', parts: ['pipeline', 'won'] };
      await app.as(w, () => app.cache.set(key, { total: 3 }));
      expect(await app.as(w, () => app.cache.get(key))).toEqual({ total: 3 });
      expect(await app.as(other, () => app.cache.get(key))).toBeUndefined();

      // @Cached (wrap): one load per workspace, hits after.
      const loads = app.deals.loads;
      for (const ws of [w, other, w, other]) await app.as(ws, () => app.deals.pipeline('won'));
      expect(app.deals.loads - loads).toBe(2);

      // An audited write of (w, Deal) invalidates w's deals only; invalidate() in the other workspace does the same there.
      app.deals.revision++;
      await writes.publish({ workspaceId: w, subject: 'Deal' });
      expect(await app.as(w, () => app.cache.get(key))).toBeUndefined();
      expect((await app.as(w, () => app.deals.pipeline('won'))).revision).toBe(app.deals.revision);
      expect((await app.as(other, () => app.deals.pipeline('won'))).revision).toBe(app.deals.revision - 1);
      await app.as(other, () => app.cache.invalidate('Deal'));
      expect((await app.as(other, () => app.deals.pipeline('won'))).revision).toBe(app.deals.revision);
    });

    it("a workspace's keys share one slot, and workspaces spread over the masters", async () => {
      const workspaces = Array.from({ length: 12 }, () => uuidv7());
      for (const ws of workspaces) await app.as(ws, () => app.deals.companyWithDeals('c1'));
      const slotsOf = async (ws: string) => {
        // The entry and the versions of Company and Deal (a miss writes its entry after answering: wait for it).
        const keys = await vi.waitFor(async () => {
          const found = (await Promise.all(inspector.nodes('master').map((node) => node.keys(`*${prefix}:{${ws}}*`)))).flat();
          expect(found.length).toBeGreaterThanOrEqual(3);
          return found;
        });
        return new Set(await Promise.all(keys.map((key) => inspector.cluster('KEYSLOT', key))));
      };
      const slots = await Promise.all(workspaces.map(slotsOf));
      expect(slots.every((set) => set.size === 1)).toBe(true);
      const holders = await Promise.all(inspector.nodes('master').map(async (node) => (await node.keys(`*${prefix}:{*`)).length > 0));
      expect(holders.filter(Boolean).length).toBeGreaterThanOrEqual(2);
    });
  });

  describe('RedisThrottlerStorage (an ioredis Cluster)', () => {
    let cluster: Cluster;
    let storage: RedisThrottlerStorage;
    beforeAll(() => {
      cluster = new Cluster([...namespace.nodes], { redisOptions: { maxRetriesPerRequest: 1 } });
      storage = new RedisThrottlerStorage({ connection: cluster, prefix });
    });
    afterAll(() => cluster?.disconnect());

    it('refuses a prefix whose empty "{}" would send a hit\'s two keys to different slots', () => {
      expect(() => new RedisThrottlerStorage({ connection: cluster, prefix: `${prefix}{}` })).toThrow(ThrottlerOptionsError);
      expect(() => new RedisThrottlerStorage({ connection: cluster, prefix: `{${prefix}}` })).not.toThrow(); // one slot for every key: works
    });

    it('counts, blocks past the limit and refunds, each key in its own slot', async () => {
      const records = [];
      for (let i = 0; i < 4; i++) records.push(await storage.increment('ws-a:user-1', 60_000, 3, 30_000));
      expect(records.map((record) => [record.totalHits, record.isBlocked])).toEqual([
        [1, false],
        [2, false],
        [3, false],
        [4, true],
      ]);
      expect(await inspector.pttl(`${prefix}:throttle:{ws-a:user-1}:blocked`)).toBeGreaterThan(25_000);

      await storage.increment('ws-b:user-2', 60_000, 3, 30_000);
      await storage.increment('ws-b:user-2', 60_000, 3, 30_000);
      await storage.refund('ws-b:user-2');
      expect(await inspector.get(`${prefix}:throttle:{ws-b:user-2}`)).toBe('1');

      // Many keys: they land on different masters, and every hit's script found both its keys in one slot.
      for (let i = 0; i < 30; i++) await storage.increment(`spread-${i}`, 60_000, 100, 1_000);
      const holders = await Promise.all(inspector.nodes('master').map(async (node) => (await node.keys(`${prefix}:throttle:{spread-*`)).length));
      expect(holders.filter((count) => count > 0).length).toBeGreaterThanOrEqual(2);
    });
  });
});
