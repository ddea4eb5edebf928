import { defineContextSlot } from './context-slot';

/** Work waiting for the transaction around it. */
interface CommitScope {
  committed: (() => unknown)[];
  rolledBack: ((error: unknown) => void)[];
}

const currentScope = defineContextSlot<CommitScope>('@acme/nest-context:commit-scope');

/** Options of {@link runInCommitScope}. */
export interface CommitScopeOptions {
  /**
   * The transaction is a savepoint of the one around it: when it completes, its deferred work
   * waits for the outer commit; when it rolls back, that work learns it now.
   * @default false
   */
  savepoint?: boolean;
}

/**
 * Runs `transaction` (a function that opens, runs and commits a database transaction, and
 * rejects when it rolled back) as a commit scope. Work deferred inside it with
 * {@link afterCommit} runs once `transaction` resolved, or is told the error once it rejected.
 * Used by the package that owns the transaction (@acme/nest-tenancy), so that others
 * (@acme/nest-audit) can tell what committed from what did not.
 *
 * The returned promise resolves once the deferred work of a commit has settled too (each
 * callback is started in the order it was deferred, and every promise one returns is awaited):
 * a caller that awaits the unit of work knows its after-commit work is done. That work failing
 * never fails the committed call.
 */
export async function runInCommitScope<T>(transaction: () => Promise<T>, options: CommitScopeOptions = {}): Promise<T> {
  const outer = options.savepoint ? currentScope.get() : undefined;
  const scope: CommitScope = { committed: [], rolledBack: [] };
  let result: T;
  try {
    result = await currentScope.run(scope, transaction);
  } catch (error) {
    for (const onRollback of scope.rolledBack) runSafely(() => onRollback(error));
    throw error;
  }
  if (outer) {
    outer.committed.push(...scope.committed);
    outer.rolledBack.push(...scope.rolledBack);
  } else {
    await settleAll(scope.committed);
  }
  return result;
}

/**
 * Defers work until the transaction the caller runs in commits (`onCommit`), or rolls back
 * (`onRollback`, with the error). Returns false, deferring nothing, when the caller runs in no
 * commit scope: then nothing waits, and the caller does the work now.
 *
 * `onCommit` may be async: {@link runInCommitScope} waits for the promise it returns before it
 * resolves (a savepoint's work waits for the outer commit). A callback that throws or rejects
 * never fails the committed call: it reports its own failures.
 */
export function afterCommit(onCommit: () => unknown, onRollback?: (error: unknown) => void): boolean {
  const scope = currentScope.get();
  if (!scope) return false;
  scope.committed.push(onCommit);
  if (onRollback) scope.rolledBack.push(onRollback);
  return true;
}

/**
 * Starts every committed callback in order, then waits for all of them. Deferred work must not
 * turn a committed transaction into a failed call, so failures (thrown or rejected) are dropped:
 * the deferred work reports its own (nest-audit logs and counts them).
 */
async function settleAll(callbacks: readonly (() => unknown)[]): Promise<void> {
  if (callbacks.length === 0) return;
  const pending: unknown[] = [];
  for (const onCommit of callbacks) {
    try {
      pending.push(onCommit());
    } catch {
      // reported by the deferred work itself
    }
  }
  await Promise.allSettled(pending);
}

/** Deferred work must not turn a rolled-back call's error into another one. */
function runSafely(fn: () => void): void {
  try {
    fn();
  } catch {
    // The deferred work reports its own failures (nest-audit logs and counts them).
  }
}
