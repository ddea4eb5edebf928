import { Controller, Get, Module } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { expect, it } from 'vitest';
import { describeBuiltDist } from '@acme/nest-testing/vitest';
import { startHttpApp } from '@acme/nest-testing';

const dist = (file: string) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url));

type Dist = {
  ViewResponse: (schema: z.ZodType, options?: object) => MethodDecorator;
  ViewResponseInterceptor: object;
  ViewPresenterModule: { forRoot(options?: object): unknown };
};

/**
 * The built dist must keep its decorator metadata: ViewResponseInterceptor receives the module
 * options by token (`@Optional() @Inject(...)`) and is constructed by Nest for every decorated
 * route, so if tsup dropped the parameter metadata the app would fail to boot or ignore the options.
 */
async function bootWith(pkg: Dist) {
  const View = z.object({ id: z.string(), visit_count: z.int().nonnegative() });

  @Controller()
  class ProbeController {
    @Get('valid')
    @pkg.ViewResponse(View)
    valid() {
      return { id: 'a', visit_count: 1, secret: 'x' };
    }

    @Get('invalid')
    @pkg.ViewResponse(View)
    invalid() {
      return { id: 'a', visit_count: -1 };
    }
  }

  @Module({ imports: [pkg.ViewPresenterModule.forRoot({ mode: 'log' }) as never], controllers: [ProbeController] })
  class AppModule {}

  const http = await startHttpApp(AppModule, 'express');
  try {
    const valid = await fetch(`${http.url}/valid`);
    const invalid = await fetch(`${http.url}/invalid`);
    // @nestjs/swagger is loaded lazily (createRequire): the CJS build needs its import.meta shim for it.
    const doc = SwaggerModule.createDocument(http.app, new DocumentBuilder().build());
    const documented = (doc.paths['/valid']?.get?.responses['200'] as any)?.content['application/json'].schema.$ref;
    return { valid: [valid.status, await valid.json()], invalid: invalid.status, documented };
  } finally {
    await http.close();
  }
}

describeBuiltDist(
  'built dist',
  ['index.js', 'index.cjs', 'cli.js'].map(dist),
  () => {
    it.each([
      ['ESM', () => import(dist('index.js')) as Promise<Dist>],
      ['CJS', async () => createRequire(import.meta.url)(dist('index.cjs')) as Dist],
    ])('the %s build keeps its DI metadata and enforces contracts in a Nest app', async (_format, load) => {
      const pkg = await load();
      expect(Reflect.getMetadata('design:paramtypes', pkg.ViewResponseInterceptor)).toHaveLength(1);
      const { valid, invalid, documented } = await bootWith(pkg);
      expect(documented).toBe('#/components/schemas/ProbeControllerValidResponse');
      expect(valid).toEqual([200, { id: 'a', visit_count: 1 }]);
      // 'log' from the module options reached the interceptor: a violation is a 200, not a 500.
      expect(invalid).toBe(200);
    });

    it('ships the view-contract-lint bin', () => {
      const run = spawnSync(process.execPath, [dist('cli.js'), fileURLToPath(new URL('fixtures/clean-contracts.mjs', import.meta.url))], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(run.stdout).toBe('1 view schema(s) checked, 0 problem(s).\n');
      expect(run.status).toBe(0);
    });
  },
  { buildCommand: 'pnpm --filter @acme/nest-view-presenter build' },
);
