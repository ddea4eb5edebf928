// describeBuiltDist decides between running, skipping and failing from the files and the
// environment: run a fixture through vitest's node API under each environment and read the outcome.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createVitest } from 'vitest/node';
import { withEnv } from './support/with-env';

/** Per suite, per test: 'passed', 'skipped' or 'failed: <first error message>'. */
async function runFixture(env: Record<string, string | undefined>): Promise<Record<string, Record<string, string>>> {
  return withEnv(env, async () => {
    const vitest = await createVitest('test', {
      config: false,
      root: fileURLToPath(new URL('..', import.meta.url)),
      include: ['test/fixtures/built-dist.fixture.ts'],
      watch: false,
      reporters: [],
    });
    try {
      const { testModules, unhandledErrors } = await vitest.start();
      expect(unhandledErrors).toEqual([]);
      const outcomes: Record<string, Record<string, string>> = {};
      for (const module of testModules) {
        expect(module.errors()).toEqual([]);
        for (const test of module.children.allTests()) {
          const suite = test.parent.type === 'suite' ? test.parent.name : '';
          const result = test.result();
          (outcomes[suite] ??= {})[test.name] = result.state === 'failed' ? `failed: ${result.errors[0]?.message}` : result.state;
        }
      }
      return outcomes;
    } finally {
      await vitest.close();
    }
  });
}

describe('describeBuiltDist', () => {
  it('runs the tests of a build that is there; skips a missing one while developing, saying why', async () => {
    const outcomes = await runFixture({ ACME_REQUIRE_DIST: undefined, CI: undefined });
    const { present, ...others } = outcomes;
    expect(present).toEqual({ runs: 'passed' });
    expect(Object.values(others)).toEqual([{ 'would test the build': 'skipped' }]);
    expect(Object.keys(others)[0]).toMatch(/^absent \(skipped: not built \(.*never-built\/index\.js missing\): run `pnpm --filter @acme\/example build`/);
  }, 60_000);

  it.each([
    ['ACME_REQUIRE_DIST=1', { ACME_REQUIRE_DIST: '1', CI: undefined }],
    ['CI', { ACME_REQUIRE_DIST: undefined, CI: 'true' }],
  ])(
    'fails a missing build under %s, naming the file and the build command',
    async (_name, env) => {
      const outcomes = await runFixture(env);
      expect(outcomes).toEqual({
        present: { runs: 'passed' },
        absent: {
          'has the build it tests': expect.stringMatching(/^failed: Not built: .*never-built\/index\.js\. Run `pnpm --filter @acme\/example build`/),
        },
      });
    },
    60_000,
  );
});
