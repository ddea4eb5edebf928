import { AsyncLocalStorage } from 'node:async_hooks';
import type { PgDatabase } from 'drizzle-orm/pg-core';

/** The transaction a unit of work (request, job, `transaction()` callback) runs its queries in. */
export interface UnitOfWork {
  /** The app's root database object the transaction was opened on. */
  owner: object;
  tx: PgDatabase<any, any, any>;
  workspaceId: string;
}

// One storage per process even when two copies of this package are loaded (ESM and CJS).
const KEY = Symbol.for('@acme/nest-tenancy:unit-of-work');
const registry = globalThis as unknown as Record<symbol, AsyncLocalStorage<UnitOfWork> | undefined>;
const storage = (registry[KEY] ??= new AsyncLocalStorage<UnitOfWork>());

export function activeUnitOfWork(owner: object): UnitOfWork | undefined {
  const unit = storage.getStore();
  return unit?.owner === owner ? unit : undefined;
}

export function runUnitOfWork<T>(unit: UnitOfWork, fn: () => T): T {
  return storage.run(unit, fn);
}
