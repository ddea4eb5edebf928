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

  it('waits for async commit work before it resolves, starting each callback in order', async () => {
    const seen: string[] = [];
    const slow = (name: string, ms: number) => async () => {
      seen.push(`${name} started`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      seen.push(`${name} done`);
    };
    const result = await runInCommitScope(async () => {
      afterCommit(slow('first', 30));
      afterCommit(slow('second', 5));
      return 'committed value';
    });
    expect(result).toBe('committed value');
    expect(seen).toEqual(['first started', 'second started', 'second done', 'first done']);
  });

  it('commit work that throws or rejects never fails the committed call, and the rest still runs and is awaited', async () => {
    let finished = false;
    await expect(
      runInCommitScope(async () => {
        afterCommit(() => {
          throw new Error('sync failure');
        });
        afterCommit(() => Promise.reject(new Error('async failure')));
        afterCommit(async () => {
          await new Promise((resolve) => setTimeout(resolve, 10));
          finished = true;
        });
        return 1;
      }),
    ).resolves.toBe(1);
    expect(finished).toBe(true);
  });

  it("a savepoint's async commit work waits for the outer commit, and the outer call waits for it", async () => {
    const seen: string[] = [];
    await runInCommitScope(async () => {
      await runInCommitScope(
        async () =>
          void afterCommit(async () => {
            await new Promise((resolve) => setTimeout(resolve, 10));
            seen.push('savepoint work done');
          }),
        { savepoint: true },
      );
      expect(seen).toEqual([]);
      seen.push('outer still open');
    });
    expect(seen).toEqual(['outer still open', 'savepoint work done']);
  });

  it('async commit work of a rolled-back transaction never starts', async () => {
    let started = false;
    await expect(
      runInCommitScope(async () => {
        afterCommit(async () => void (started = true));
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(started).toBe(false);
  });
});
