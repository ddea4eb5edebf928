import { Controller, Get, Module, type DynamicModule } from '@nestjs/common';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { describeBuiltDist } from '@acme/nest-testing/vitest';
import { startHttpApp } from '@acme/nest-testing';

const distEsm = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const distCjs = fileURLToPath(new URL('../dist/index.cjs', import.meta.url));

/**
 * The built dist must keep `design:paramtypes`: ContextMiddleware receives ContextService by
 * type, so if tsup dropped the metadata Nest could not construct it and this app would not boot.
 */
async function bootWith(dist: { ContextModule: { forRoot(): DynamicModule }; ContextService: new () => { require(): unknown } }) {
  @Controller()
  class ProbeController {
    private readonly context = new dist.ContextService();

    @Get()
    root() {
      return this.context.require();
    }
  }

  @Module({ imports: [dist.ContextModule.forRoot()], controllers: [ProbeController] })
  class AppModule {}

  const http = await startHttpApp(AppModule, 'express');
  try {
    const response = await fetch(http.url, { headers: { 'x-request-id': 'canary' } });
    return { status: response.status, body: (await response.json()) as any };
  } finally {
    await http.close();
  }
}

describeBuiltDist(
  'built dist keeps decorator metadata',
  [distEsm, distCjs],
  () => {
    it('the ESM build boots in a Nest app and injects by type', async () => {
      const dist = await import(distEsm);
      expect(Reflect.getMetadata('design:paramtypes', dist.ContextMiddleware)?.[0]).toBe(dist.ContextService);
      const { status, body } = await bootWith(dist);
      expect(status).toBe(200);
      expect(body.requestId).toBe('canary');
    });

    it('the CJS build boots in a Nest app and injects by type', async () => {
      const dist = createRequire(import.meta.url)(distCjs);
      expect(Reflect.getMetadata('design:paramtypes', dist.ContextMiddleware)?.[0]).toBe(dist.ContextService);
      const { status, body } = await bootWith(dist);
      expect(status).toBe(200);
      expect(body.requestId).toBe('canary');
    });
  },
  { buildCommand: 'pnpm --filter @acme/nest-context build' },
);
