import { ContextModule, ContextService, redisHashTag } from '@acme/nest-context';
import { ClusterPrefixError, defineQueue, getProducerToken, QueueProcessor, QueuesModule, type Producer } from '@acme/nest-queues';
import { createRedisClusterNamespace, createRedisNamespace, type RedisClusterNamespace } from '@acme/nest-testing';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { waitFor } from './support/redis';

const pings = defineQueue({ name: 'pings', payload: z.object({ n: z.number() }) });
const handled: number[] = [];

@QueueProcessor(pings)
class PingsProcessor {
  process({ n }: { n: number }) {
    handled.push(n);
  }
}

const boot = (root: DynamicModule) => {
  @Module({ imports: [ContextModule.forRoot(), root, QueuesModule.forFeature([pings])], providers: [PingsProcessor] })
  class AppModule {}
  return NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
};

describe('prefixes on Redis Cluster', () => {
  let namespace: RedisClusterNamespace;
  let cluster: Cluster;

  beforeAll(async () => {
    namespace = await createRedisClusterNamespace({ prefix: 'prefix' });
    cluster = new Cluster([...namespace.nodes], { redisOptions: { maxRetriesPerRequest: null } });
  });
  afterAll(() => cluster?.disconnect());

  const untagged = () => namespace.prefix.replace(/[{}]/g, '');

  it('refuses a prefix without a hash tag at bootstrap, with the code and the fix', async () => {
    const failure = boot(QueuesModule.forRoot({ connection: cluster, prefix: untagged(), metrics: false }));
    await expect(failure).rejects.toBeInstanceOf(ClusterPrefixError);
    await expect(failure).rejects.toMatchObject({ code: 'QUEUES_CLUSTER_PREFIX', prefix: untagged() });
    await expect(failure).rejects.toThrow(`prefix: '{${untagged()}}'`);
    // The default prefix ('bull') has no tag either.
    await expect(boot(QueuesModule.forRoot({ connection: cluster, metrics: false }))).rejects.toMatchObject({ code: 'QUEUES_CLUSTER_PREFIX', prefix: 'bull' });
    // '{}' is no tag to Redis: the whole key is hashed.
    await expect(boot(QueuesModule.forRoot({ connection: cluster, prefix: `{}${untagged()}`, metrics: false }))).rejects.toMatchObject({
      code: 'QUEUES_CLUSTER_PREFIX',
    });
  });

  it('the refused prefix would really fail: BullMQ on the cluster without a tag is refused by Redis (CROSSSLOT)', async () => {
    const queue = new Queue('pings', { connection: cluster as never, prefix: untagged() });
    try {
      await expect(queue.add('pings', { n: 1 })).rejects.toThrow(/CROSSSLOT|non local key/);
    } finally {
      await queue.close();
    }
  });

  it('with a hash-tagged prefix it starts, and a job goes through producer and worker', async () => {
    const app = await boot(QueuesModule.forRoot({ connection: cluster, prefix: namespace.prefix, metrics: false, runWorkers: true }));
    try {
      const producer = app.get<symbol, Producer<typeof pings>>(getProducerToken(pings));
      await new ContextService().run({ workspaceId: null, actor: { kind: 'System', id: null } }, () => producer.add({ n: 7 }));
      await waitFor(() => handled.includes(7), { what: 'the job handled' });
    } finally {
      await app.close();
    }
  });

  it('the rule is the one Redis applies: tagged prefixes keep every key of every queue in one slot, others do not', async () => {
    const base = untagged();
    const candidates = [`{${base}}`, `app{${base}}`, `{${base}}x`, `a}{${base}}`, `{}${base}`, `{}{${base}}`, base, `{${base}`];
    for (const prefix of candidates) {
      const keys = [`${prefix}:pings:wait`, `${prefix}:pings:id`, `${prefix}:pings:1`, `${prefix}:other:meta`, `${prefix}:a-much-longer-queue-name:events`];
      const slots = new Set(await Promise.all(keys.map((key) => cluster.cluster('KEYSLOT', key))));
      expect({ prefix, oneSlot: slots.size === 1 }).toEqual({ prefix, oneSlot: redisHashTag(prefix) !== undefined });
    }
  });

  it('any prefix goes on a single Redis', async () => {
    const { url, prefix } = await createRedisNamespace({ prefix: 'prefix' });
    const app = await boot(QueuesModule.forRoot({ connection: { url }, prefix, metrics: false }));
    await app.close();
  });
});
