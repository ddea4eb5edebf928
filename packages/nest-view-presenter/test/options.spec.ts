import { Controller, Get, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import {
  VIEW_PRESENTER_MODULE_OPTIONS,
  VIEW_PRESENTER_OPTIONS,
  ViewPresenterModule,
  ViewPresenterOptionsError,
  ViewResponse,
  type ViewContractViolation,
  type ViewPresenterModuleOptions,
} from '@acme/nest-view-presenter';
import { HTTP_ADAPTERS, startHttpApp } from '@acme/nest-testing';

const Counter = z.object({ name: z.string(), visit_count: z.int().nonnegative() });
const broken = () => ({ name: 'home', visit_count: -1 });

@Controller('feature')
class FeatureController {
  @Get('default')
  @ViewResponse(Counter)
  byDefault() {
    return broken();
  }

  @Get('strict')
  @ViewResponse(Counter, { mode: 'strict' })
  strict() {
    return broken();
  }
}

// A feature module that does not import ViewPresenterModule: it sees the options only when global.
@Module({ controllers: [FeatureController] })
class FeatureModule {}

function appWith(presenterModule?: unknown) {
  @Module({ imports: [...(presenterModule ? [presenterModule as never] : []), FeatureModule] })
  class AppModule {}
  return AppModule;
}

async function statuses(module: unknown, adapter: (typeof HTTP_ADAPTERS)[number]) {
  const http = await startHttpApp(module, adapter);
  try {
    const [byDefault, strict] = await Promise.all(['default', 'strict'].map((path) => fetch(`${http.url}/feature/${path}`)));
    return { byDefault: byDefault!.status, strict: strict!.status };
  } finally {
    await http.close();
  }
}

describe.each(HTTP_ADAPTERS)('ViewPresenterModule options on %s', (adapter) => {
  it('without the module every @ViewResponse is strict', async () => {
    expect(await statuses(appWith(), adapter)).toEqual({ byDefault: 500, strict: 500 });
  });

  it('forRootAsync sets app-wide defaults (global by default) that a decorator overrides', async () => {
    const violations: ViewContractViolation[] = [];
    const module = ViewPresenterModule.forRootAsync({
      useFactory: async (): Promise<ViewPresenterModuleOptions> => ({ mode: 'log', onViolation: (v) => violations.push(v) }),
    });
    expect(await statuses(appWith(module), adapter)).toEqual({ byDefault: 200, strict: 500 });
    expect(violations.map((v) => [v.contract, v.mode])).toEqual(
      expect.arrayContaining([
        ['FeatureController.byDefault', 'log'],
        ['FeatureController.strict', 'strict'],
      ]),
    );
  });

  it('options given in part keep the defaults of the rest (strict, every response checked)', async () => {
    const violations: ViewContractViolation[] = [];
    const module = ViewPresenterModule.forRoot({ onViolation: (v) => violations.push(v) });
    expect(await statuses(appWith(module), adapter)).toEqual({ byDefault: 500, strict: 500 });
    expect(violations.map((v) => v.mode)).toEqual(['strict', 'strict']);
  });

  it('isGlobal: false keeps the options to the importing module', async () => {
    const module = ViewPresenterModule.forRootAsync({ isGlobal: false, useFactory: () => ({ mode: 'off' as const }) });
    expect(await statuses(appWith(module), adapter)).toEqual({ byDefault: 500, strict: 500 });
  });
});

describe('options token', () => {
  it('VIEW_PRESENTER_MODULE_OPTIONS injects the options as given; the deprecated VIEW_PRESENTER_OPTIONS is the same token', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [ViewPresenterModule.forRoot({ mode: 'log', sampleRate: 0.5 })] }).compile();
    expect(moduleRef.get(VIEW_PRESENTER_MODULE_OPTIONS)).toEqual({ mode: 'log', sampleRate: 0.5 });
    expect(VIEW_PRESENTER_OPTIONS).toBe(VIEW_PRESENTER_MODULE_OPTIONS);
    expect(moduleRef.get(VIEW_PRESENTER_OPTIONS)).toBe(moduleRef.get(VIEW_PRESENTER_MODULE_OPTIONS));
    await moduleRef.close();
  });
});

describe('option validation', () => {
  it('rejects bad module options at bootstrap with an error naming the option', async () => {
    const compile = Test.createTestingModule({ imports: [ViewPresenterModule.forRoot({ sampleRate: 1.5 })] }).compile();
    await expect(compile).rejects.toThrow(ViewPresenterOptionsError);
    await expect(
      Test.createTestingModule({
        imports: [ViewPresenterModule.forRootAsync({ useFactory: () => ({ mode: 'loud' as never }) })],
      }).compile(),
    ).rejects.toThrow(/ViewPresenterModule option "mode"/);
  });

  it('rejects bad @ViewResponse options when the class is defined', () => {
    expect(() => ViewResponse(Counter, { sampleRate: -0.1 })).toThrow(/@ViewResponse option "sampleRate"/);
    expect(() => ViewResponse(Counter, { status: 99 })).toThrow(/@ViewResponse option "status"/);
    expect(() => ViewResponse(Counter, { mode: 'OFF' as never })).toThrow(ViewPresenterOptionsError);
  });
});
