import { Controller, Get, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { ContextModule, ContextNotConfiguredError, ContextOptionsError, ContextService, type ContextModuleOptions } from '@acme/nest-context';
import { startHttpApp } from '@acme/nest-testing';

@Controller()
class ProbeController {
  constructor(private readonly context: ContextService) {}

  @Get()
  root() {
    return { context: this.context.get() ?? null };
  }
}

function appWith(contextModule: unknown) {
  @Module({ imports: [contextModule as never], controllers: [ProbeController] })
  class AppModule {}
  return AppModule;
}

describe('ContextModule options', () => {
  it('forRootAsync takes options from a factory and the isGlobal extra', async () => {
    let n = 0;
    const http = await startHttpApp(
      appWith(
        ContextModule.forRootAsync({
          isGlobal: true,
          useFactory: (): ContextModuleOptions => ({ requestIdHeader: 'X-Correlation-Id', generateRequestId: () => `gen-${++n}` }),
        }),
      ),
      'express',
    );
    try {
      const first = await fetch(http.url);
      expect(((await first.json()) as any).context.requestId).toBe('gen-1');
      expect(first.headers.get('x-correlation-id')).toBe('gen-1');
      const second = await fetch(http.url, { headers: { 'x-correlation-id': 'from-gateway' } });
      expect(((await second.json()) as any).context.requestId).toBe('from-gateway');
    } finally {
      await http.close();
    }
  });

  it('echoRequestId: false keeps the header off the response', async () => {
    const http = await startHttpApp(appWith(ContextModule.forRoot({ echoRequestId: false })), 'fastify');
    try {
      const response = await fetch(http.url);
      expect(((await response.json()) as any).context.requestId).toBeTypeOf('string');
      expect(response.headers.get('x-request-id')).toBeNull();
    } finally {
      await http.close();
    }
  });

  it('mountMiddleware: false leaves requests without a context', async () => {
    const http = await startHttpApp(appWith(ContextModule.forRoot({ mountMiddleware: false })), 'express');
    try {
      expect((await (await fetch(http.url)).json()) as any).toEqual({ context: null });
    } finally {
      await http.close();
    }
  });

  it('rejects a bad option at bootstrap with an error naming it', async () => {
    const compile = Test.createTestingModule({
      imports: [ContextModule.forRoot({ requestIdHeader: 'bad header\n' })],
    }).compile();
    await expect(compile).rejects.toThrow(ContextOptionsError);
    await expect(Test.createTestingModule({ imports: [ContextModule.forRoot({ requestIdHeader: 'x y' })] }).compile()).rejects.toThrow(/"requestIdHeader"/);
  });

  describe.each(['express', 'fastify'] as const)("libraries import forFeature(): the app's forRoot owns the options (%s)", (adapter) => {
    /** What @acme/nest-tenancy, nest-audit ... do: import the context for its service, mount nothing. */
    @Module({ imports: [ContextModule.forFeature()] })
    class SomePackageModule {}

    it.each([
      ['after the package', () => [SomePackageModule, ContextModule.forRoot({ requestIdHeader: 'x-correlation-id' })]],
      ['before the package', () => [ContextModule.forRoot({ requestIdHeader: 'x-correlation-id' }), SomePackageModule]],
    ])('app module imported %s', async (_, imports) => {
      @Module({ imports: imports() as never[], controllers: [ProbeController] })
      class AppModule {}
      const http = await startHttpApp(AppModule, adapter);
      try {
        const response = await fetch(http.url, { headers: { 'x-correlation-id': 'from-gateway', 'x-request-id': 'not-this-one' } });
        expect(((await response.json()) as any).context.requestId).toBe('from-gateway');
        expect(response.headers.get('x-correlation-id')).toBe('from-gateway');
      } finally {
        await http.close();
      }
    });

    it("mountMiddleware: false in the app is not undone by a package's import", async () => {
      @Module({ imports: [SomePackageModule, ContextModule.forRoot({ mountMiddleware: false })], controllers: [ProbeController] })
      class AppModule {}
      const http = await startHttpApp(AppModule, adapter);
      try {
        expect(((await (await fetch(http.url)).json()) as any).context).toBeNull();
      } finally {
        await http.close();
      }
    });
  });

  it("a library's forFeature() without the app's forRoot() fails bootstrap, saying what to import", async () => {
    @Module({ imports: [ContextModule.forFeature()] })
    class SomePackageModule {}
    @Module({ imports: [SomePackageModule] })
    class AppWithoutRoot {}
    const app = (await Test.createTestingModule({ imports: [AppWithoutRoot] }).compile()).createNestApplication();
    try {
      const error = await app.init().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ContextNotConfiguredError);
      expect(error).toMatchObject({ code: 'CONTEXT_NOT_CONFIGURED', message: expect.stringContaining('ContextModule.forRoot()') });
    } finally {
      await app.close().catch(() => undefined);
    }
  });

  it('forFeature() provides ContextService to the library module', async () => {
    @Module({
      imports: [ContextModule.forFeature()],
      providers: [{ provide: 'probe', useFactory: (c: ContextService) => c, inject: [ContextService] }],
      exports: ['probe'],
    })
    class SomePackageModule {}
    const moduleRef = await Test.createTestingModule({ imports: [ContextModule.forRoot({ isGlobal: false }), SomePackageModule] }).compile();
    expect(moduleRef.get('probe', { strict: false })).toBeInstanceOf(ContextService);
    await moduleRef.close();
  });
});
