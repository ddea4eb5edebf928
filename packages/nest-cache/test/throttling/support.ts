import { ContextModule, ContextService } from '@acme/nest-context';
import { keyByTracker, RedisThrottlerStorage, TenantThrottlerGuard, workspaceTracker, type RedisThrottlerStorageOptions } from '@acme/nest-cache';
import { claimsFromBearer, createRedisNamespace, startHttpApp, type HttpTestApp } from '@acme/nest-testing';
import { Body, Controller, Get, Injectable, Module, Post, type CanActivate, type ExecutionContext, type Provider, type Type } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule, type ThrottlerModuleOptions, type ThrottlerOptions } from '@nestjs/throttler';

/**
 * Stand-in for authentication and nest-tenancy's TenancyGuard: puts the bearer token's workspace
 * and user into the request context, as they do once they have checked them.
 */
@Injectable()
export class TestAuthGuard implements CanActivate {
  constructor(private readonly context: ContextService) {}

  canActivate(execution: ExecutionContext): boolean {
    const request = execution.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    const claims = claimsFromBearer(request.headers.authorization);
    if (claims) {
      this.context.update({
        workspaceId: typeof claims.ws === 'string' ? claims.ws : null,
        actor: typeof claims.sub === 'string' ? { kind: 'User', id: claims.sub } : { kind: 'System', id: null },
      });
    }
    return true;
  }
}

@Controller()
export class ItemsController {
  @Get('items')
  list() {
    return { ok: true };
  }

  @Get('items/:id')
  one() {
    return { ok: true };
  }

  @Post('login')
  login(@Body() _body: unknown) {
    return { ok: true };
  }
}

export interface ThrottledAppOptions {
  storage: RedisThrottlerStorage;
  throttlers: ThrottlerOptions[];
  /** Module-wide throttler options (getTracker, generateKey, ...). Defaults: workspaceTracker, keyByTracker. */
  common?: Omit<Exclude<ThrottlerModuleOptions, unknown[]>, 'throttlers' | 'storage'>;
  guard?: Type<TenantThrottlerGuard>;
  controllers?: Type[];
  providers?: Provider[];
  imports?: any[];
}

/** An API replica: auth stand-in, then the throttler guard, over a storage of its own. */
export function throttledModule(options: ThrottledAppOptions): Type {
  @Module({
    imports: [
      ContextModule.forRoot(),
      ThrottlerModule.forRoot({
        getTracker: workspaceTracker,
        generateKey: keyByTracker,
        ...options.common,
        throttlers: options.throttlers,
        storage: options.storage,
      }),
      ...(options.imports ?? []),
    ],
    controllers: options.controllers ?? [ItemsController],
    providers: [
      { provide: APP_GUARD, useClass: TestAuthGuard },
      { provide: APP_GUARD, useClass: options.guard ?? TenantThrottlerGuard },
      ...(options.providers ?? []),
    ],
  })
  class ReplicaModule {}
  return ReplicaModule;
}

export async function startReplica(options: ThrottledAppOptions): Promise<HttpTestApp> {
  return startHttpApp(throttledModule(options), 'express');
}

/** Storage options on a key prefix of this test file's own. */
export async function storageOptions(overrides: Partial<RedisThrottlerStorageOptions> = {}): Promise<RedisThrottlerStorageOptions & { url: string }> {
  const { url, prefix } = await createRedisNamespace({ prefix: 'throttle' });
  return { url, connection: { url }, prefix, timeoutMs: 2_000, ...overrides };
}
