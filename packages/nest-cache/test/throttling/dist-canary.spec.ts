import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ContextModule } from '@acme/nest-context';
import { startHttpApp } from '@acme/nest-testing';
import { describeBuiltDist } from '@acme/nest-testing/vitest';
import { Controller, Get, Module } from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { expect, it } from 'vitest';
import { storageOptions } from './support';

const distEsm = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
const distCjs = fileURLToPath(new URL('../../dist/index.cjs', import.meta.url));

@Controller()
class PingController {
  @Get('ping')
  ping() {
    return { ok: true };
  }
}

/** The built guard is constructed by DI (its Reflector comes from `design:paramtypes`) and limits, in both module formats. */
describeBuiltDist('built dist: TenantThrottlerGuard and RedisThrottlerStorage', [distEsm, distCjs], () => {
  it.each([
    ['ESM', () => import(distEsm)],
    ['CJS', async () => createRequire(import.meta.url)(distCjs)],
  ])('the %s build', async (_format, load) => {
    const dist = await load();
    expect(Reflect.getMetadata('design:paramtypes', dist.TenantThrottlerGuard)?.[2]).toBe(Reflector);
    const storage = new dist.RedisThrottlerStorage(await storageOptions());

    @Module({
      imports: [ContextModule.forRoot(), ThrottlerModule.forRoot({ throttlers: [{ limit: 1, ttl: 60_000 }], storage })],
      controllers: [PingController],
      providers: [{ provide: APP_GUARD, useClass: dist.TenantThrottlerGuard }],
    })
    class AppModule {}
    const http = await startHttpApp(AppModule, 'express');
    try {
      expect((await http.request('GET', '/ping')).status).toBe(200);
      const refused = await http.request('GET', '/ping');
      expect(refused.status).toBe(429);
      expect(refused.body.code).toBe('CACHE_RATE_LIMITED');
    } finally {
      await http.close();
    }
  });
});
