import { AUDITED_WRITES, type AuditedWrite, type AuditedWrites } from '@acme/nest-context';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { TenantCache } from './tenant-cache';

/**
 * Invalidates what an audited write made stale: each successful write of subject S in workspace W
 * (reported once committed by the app's `AUDITED_WRITES`, e.g. @acme/nest-audit) invalidates
 * (W, S); a write outside any workspace invalidates S's global entries. The audited call waits for
 * it (bounded by `timeoutMs`); a failure never fails the call, it is counted and retried.
 */
@Injectable()
export class AuditedWritesSubscriber implements OnModuleInit, OnApplicationShutdown {
  private unsubscribe?: () => void;

  constructor(
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
    @Inject(TenantCache) private readonly cache: TenantCache,
  ) {}

  onModuleInit(): void {
    let writes: AuditedWrites;
    try {
      writes = this.moduleRef.get<AuditedWrites>(AUDITED_WRITES, { strict: false });
    } catch {
      return; // nothing reports writes in this app: invalidate with TenantCache.invalidate
    }
    this.unsubscribe = writes.subscribe((write: AuditedWrite) =>
      this.cache.invalidateNow(write.workspaceId ? { workspaceId: write.workspaceId } : { global: true }, write.subject),
    );
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
  }
}
