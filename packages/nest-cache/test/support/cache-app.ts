import { Cached, TenantCache, TenantCacheModule, type TenantCacheModuleOptions } from '@acme/nest-cache';
import {
  ABILITY_FINGERPRINTS,
  AUDITED_WRITES,
  ContextModule,
  ContextService,
  type AbilityFingerprints,
  type AuditedWrite,
  type AuditedWriteListener,
  type AuditedWrites,
} from '@acme/nest-context';
import { createRedisNamespace } from '@acme/nest-testing';
import { createKeyv } from '@keyv/redis';
import { Global, Injectable, Module, type INestApplicationContext, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Keyv } from 'keyv';

/** A small AUDITED_WRITES: the test publishes a write, as the audit package does after a commit. */
export class TestAuditedWrites implements AuditedWrites {
  private readonly listeners = new Set<AuditedWriteListener>();

  subscribe(listener: AuditedWriteListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once every listener has (the audited call waits for them). */
  async publish(write: Pick<AuditedWrite, 'workspaceId' | 'subject'>): Promise<void> {
    const event: AuditedWrite = { action: 'Update', subjectId: null, requestId: null, ...write };
    await Promise.allSettled([...this.listeners].map(async (listener) => listener(event)));
  }
}

/** A small ABILITY_FINGERPRINTS: the fingerprint of each user is what the test sets. */
export class TestFingerprints implements AbilityFingerprints {
  readonly byUser = new Map<string, string>();
  constructor(private readonly context: ContextService) {}

  async forSubject(subject: string): Promise<string | null> {
    const userId = this.context.get()?.actor.id;
    const fingerprint = userId ? this.byUser.get(userId) : undefined;
    return fingerprint === undefined ? null : `${subject}:${fingerprint}`;
  }
}

/** A provider with cached methods that counts how often the source is reached. */
@Injectable()
export class DealsService {
  loads = 0;
  /** What the "database" holds: changed by tests to tell a fresh load from a stale hit. */
  revision = 1;
  /** Delay of each load, for the stampede test. */
  delayMs = 0;

  @Cached({ subject: 'Deal' })
  async pipeline(stageId: string, filter?: Record<string, unknown>): Promise<{ stageId: string; revision: number; filter?: unknown; at: Date }> {
    this.loads++;
    if (this.delayMs) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    return { stageId, revision: this.revision, filter, at: new Date('2025-01-02T03:04:05.000Z') };
  }

  @Cached({ subject: 'Company' })
  async company(id: string): Promise<{ id: string; revision: number }> {
    this.loads++;
    return { id, revision: this.revision };
  }

  /** A company with its deal counts: stale after a write of either subject. */
  @Cached({ subject: ['Company', 'Deal'] })
  async companyWithDeals(id: string): Promise<{ id: string; revision: number }> {
    this.loads++;
    return { id, revision: this.revision };
  }

  @Cached({ subject: 'Currency', global: true })
  async currencies(): Promise<string[]> {
    this.loads++;
    return ['EUR', 'USD', `r${this.revision}`];
  }

  @Cached({ subject: 'Deal', key: (query: { stageId: string }) => [query.stageId] })
  async byQuery(_query: { stageId: string; signal?: () => void }): Promise<number> {
    this.loads++;
    return this.revision;
  }

  @Cached({ subject: 'Deal' })
  async report(stageId: string): Promise<unknown> {
    this.loads++;
    const value: Record<string, unknown> = { stageId, revision: this.revision };
    value.self = value; // a cycle: cannot be stored
    return value;
  }
}

export interface CacheAppOptions {
  cache: TenantCacheModuleOptions;
  auditedWrites?: TestAuditedWrites;
  /** Provide ABILITY_FINGERPRINTS (TestFingerprints, reachable as `app.fingerprints`). */
  fingerprints?: boolean;
}

export interface CacheApp {
  app: INestApplicationContext;
  cache: TenantCache;
  deals: DealsService;
  context: ContextService;
  fingerprints?: TestFingerprints;
  /** Runs `fn` as `userId` in `workspaceId` (null: outside any workspace). */
  as<T>(workspaceId: string | null, fn: () => Promise<T>, userId?: string): Promise<T>;
  close(): Promise<void>;
}

/** Boots an application context with ContextModule.forRoot(), TenantCacheModule and the test providers. */
export async function startCacheApp(options: CacheAppOptions): Promise<CacheApp> {
  const providers: Provider[] = [];
  if (options.auditedWrites) providers.push({ provide: AUDITED_WRITES, useValue: options.auditedWrites });
  if (options.fingerprints)
    providers.push({ provide: ABILITY_FINGERPRINTS, inject: [ContextService], useFactory: (c: ContextService) => new TestFingerprints(c) });

  @Global()
  @Module({ imports: [ContextModule.forFeature()], providers, exports: providers.map((p) => (p as { provide: symbol }).provide) })
  class ContractsModule {}

  @Module({ imports: [ContextModule.forRoot(), ContractsModule, TenantCacheModule.forRoot(options.cache)], providers: [DealsService] })
  class AppModule {}

  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  const context = app.get(ContextService);
  return {
    app,
    cache: app.get(TenantCache),
    deals: app.get(DealsService),
    context,
    fingerprints: options.fingerprints ? app.get<TestFingerprints>(ABILITY_FINGERPRINTS) : undefined,
    as: (workspaceId, fn, userId = 'user-1') => context.run({ workspaceId, actor: { kind: 'User', id: userId } }, fn),
    close: () => app.close(),
  };
}

/** A Keyv store on the test Redis (or `url`), and a key prefix of its own so test files never meet. */
export async function redisStore(url?: string): Promise<{ store: Keyv; prefix: string; url: string }> {
  const namespace = await createRedisNamespace({ prefix: 'cache' });
  const target = url ?? namespace.url;
  return { store: createKeyv(target), prefix: namespace.prefix, url: target };
}
