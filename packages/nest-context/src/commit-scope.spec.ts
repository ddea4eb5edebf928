import { describe, expect, it } from 'vitest';
import { afterCommit, runInCommitScope } from './commit-scope';

describe('commit scopes', () => {
  it('outside a scope nothing is deferred: the caller does the work now', () => {
    expect(afterCommit(() => undefined)).toBe(false);
  });

  it('runs deferred work after the transaction resolved, not before', async () => {
    const seen: string[] = [];
    await runInCommitScope(async () => {
      expect(afterCommit(() => seen.push('committed'))).toBe(true);
      seen.push('in transaction');
    });
    expect(seen).toEqual(['in transaction', 'committed']);
  });

  it('tells deferred work the error when the transaction rejected, and runs no commit work', async () => {
    const seen: unknown[] = [];
    const failure = new Error('rolled back');
    await expect(
      runInCommitScope(async () => {
        afterCommit(
          () => seen.push('committed'),
          (error) => seen.push(error),
        );
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(seen).toEqual([failure]);
  });

  it('a savepoint that completes waits for the outer commit; one that rolls back reports at once', async () => {
    const seen: string[] = [];
    await expect(
      runInCommitScope(async () => {
        await runInCommitScope(
          async () =>
            void afterCommit(
              () => seen.push('kept'),
              () => seen.push('kept rolled back'),
            ),
          { savepoint: true },
        );
        await runInCommitScope(
          async () => {
            afterCommit(
              () => seen.push('undone'),
              () => seen.push('undone rolled back'),
            );
            throw new Error('savepoint');
          },
          { savepoint: true },
        ).catch(() => undefined);
        expect(seen).toEqual(['undone rolled back']);
        throw new Error('outer');
      }),
    ).rejects.toThrow('outer');
    expect(seen).toEqual(['undone rolled back', 'kept rolled back']);
  });

  it('a transaction of its own inside another commits on its own', async () => {
    const seen: string[] = [];
    await runInCommitScope(async () => {
      await runInCommitScope(async () => void afterCommit(() => seen.push('inner')));
      expect(seen).toEqual(['inner']);
    });
  });
});
