import { ContextModule, ContextService } from '@acme/nest-context';
import { Module } from '@nestjs/common';
import { DiscoveryService, NestFactory } from '@nestjs/core';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBuiltDist } from '@acme/nest-testing/vitest';
import { z } from 'zod';
import { testRedis, waitFor, type TestRedis } from './support/redis';

const distEsm = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const distCjs = fileURLToPath(new URL('../dist/index.cjs', import.meta.url));

/**
 * The built dist must work in a Nest app, in both module formats: its providers are constructed
 * by DI (explicit @Inject tokens, and the `design:paramtypes` tsup emits with @swc/core), and a
 * job makes the whole round trip, context included.
 */
describeBuiltDist(
  'built dist boots and round-trips a job',
  [distEsm, distCjs],
  () => {
    let redis: TestRedis;
    beforeAll(async () => {
      redis = await testRedis();
    });
    afterAll(() => redis?.close());

    it.each([
      ['ESM', () => import(distEsm)],
      ['CJS', async () => createRequire(import.meta.url)(distCjs)],
    ])('the %s build', async (format, load) => {
      const dist = await load();
      expect(Reflect.getMetadata('design:paramtypes', dist.QueueWorkers)?.[0]).toBe(DiscoveryService);
      const queue = dist.defineQueue({ name: `canary-${format}`, payload: z.object({ n: z.number() }) });
      const seen: unknown[] = [];

      class Canary {
        process(payload: { n: number }) {
          seen.push({ n: payload.n, workspaceId: new ContextService().require().workspaceId });
        }
      }
      dist.QueueProcessor(queue)(Canary);

      @Module({
        imports: [ContextModule.forRoot(), dist.QueuesModule.forRoot(redis.options({ runWorkers: true })), dist.QueuesModule.forFeature([queue])],
        providers: [Canary],
      })
      class AppModule {}
      const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
      try {
        const producer = app.get(dist.getProducerToken(queue));
        await new ContextService().run({ workspaceId: 'ws-canary', actor: { kind: 'System', id: null } }, () => producer.add({ n: 1 }));
        await waitFor(() => seen.length === 1, { what: `the ${format} worker to process the job` });
        expect(seen).toEqual([{ n: 1, workspaceId: 'ws-canary' }]);
      } finally {
        await app.close();
      }
    });
  },
  { buildCommand: 'pnpm --filter @acme/nest-queues build' },
);
