import { describe, expect, it } from 'vitest';
import { loadDependency } from './load-dependency';
import { DependencyUnavailableError, TestingError } from './testing.errors';

describe('loadDependency', () => {
  it('returns the module when it loads', async () => {
    const { createServer } = await loadDependency(() => import('node:net'), 'node:net', 'built in');
    expect(typeof createServer).toBe('function');
  });

  it('a package that is not installed: a typed error naming the install command, the loader error as cause', async () => {
    const error = await loadDependency(
      // @ts-expect-error -- a package that exists nowhere
      () => import('@acme/not-a-package-anywhere'),
      '@acme/not-a-package-anywhere',
      'pnpm add -D @acme/not-a-package-anywhere',
    ).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(error).toBeInstanceOf(TestingError);
    expect(error).toMatchObject({ code: 'TESTING_DEPENDENCY_UNAVAILABLE', dependency: '@acme/not-a-package-anywhere', name: 'DependencyUnavailableError' });
    expect((error as Error).message).toMatch(
      /^@acme\/not-a-package-anywhere could not be loaded \(.*not-a-package-anywhere.*\)\. If it is not installed: pnpm add -D @acme\/not-a-package-anywhere$/,
    );
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('a module that crashes on import: the same error, the crash kept as cause', async () => {
    const crash = new RangeError('broken install');
    const error = await loadDependency(() => Promise.reject(crash), 'broken-package', 'pnpm add -D broken-package').catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: 'TESTING_DEPENDENCY_UNAVAILABLE', cause: crash });
    expect((error as Error).message).toContain('(broken install)');
  });
});
