import { Module, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ContextNotConfiguredError } from './context.errors';
import { CONTEXT_MODULE_OPTIONS } from './context.module-definition';

/**
 * What `ContextModule.forFeature()` imports: `ContextService` for a library module. It checks at
 * bootstrap that the app imported `ContextModule.forRoot()`, because without it no HTTP request
 * would get a context and the library would fail later, on the first request, far from the cause.
 */
@Module({})
export class ContextFeatureModule implements OnModuleInit {
  constructor(private readonly moduleRef: ModuleRef) {}

  onModuleInit(): void {
    try {
      this.moduleRef.get(CONTEXT_MODULE_OPTIONS, { strict: false });
    } catch {
      throw new ContextNotConfiguredError();
    }
  }
}
