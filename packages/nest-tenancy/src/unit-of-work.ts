import { defineContextSlot } from '@acme/nest-context';
import type { AnyPgDatabase } from './drizzle-internals';

/** The transaction a unit of work (request, job, `transaction()` callback) runs its queries in. */
export interface UnitOfWork {
  /** The app's root database object the transaction was opened on. */
  owner: object;
  tx: AnyPgDatabase;
  workspaceId: string;
}

// In the request context's store: a unit of work belongs to the request, job or `run` that opened it.
const currentUnit = defineContextSlot<UnitOfWork>('@acme/nest-tenancy:unit-of-work');

/** The unit of work open on `owner` in the current context, if any. */
export function activeUnitOfWork(owner: object): UnitOfWork | undefined {
  const unit = currentUnit.get();
  return unit?.owner === owner ? unit : undefined;
}

/** Runs `fn` with `unit` open (a nested scope: the caller's unit, if any, is back afterwards). */
export function runUnitOfWork<T>(unit: UnitOfWork, fn: () => T): T {
  return currentUnit.run(unit, fn);
}
