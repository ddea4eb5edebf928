import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { TestingError } from './testing.errors';

/** Environment variable that makes a missing build a test failure instead of a skip. */
export const REQUIRE_DIST_ENV = 'ACME_REQUIRE_DIST';

/** Options of {@link describeBuiltDist}. */
export interface DescribeBuiltDistOptions {
  /**
   * Fail (instead of skipping) when a file is missing.
   * @default true when ACME_REQUIRE_DIST=1 or CI is set
   */
  required?: boolean;
  /**
   * The command that builds the files, named in the skip reason and in the failure.
   * @default 'pnpm build'
   */
  buildCommand?: string;
}

/** A test of built files ran, but the files were not built. */
export class DistMissingError extends TestingError {
  readonly code = 'TESTING_DIST_MISSING';
  constructor(missing: readonly string[], buildCommand: string) {
    super(
      `Not built: ${missing.join(', ')}. Run \`${buildCommand}\` before these tests ` +
        `(they test the built output; ${REQUIRE_DIST_ENV}=1 or CI makes a missing build a failure, not a skip).`,
    );
  }
}

const pathOf = (file: string | URL) => (file instanceof URL ? fileURLToPath(file) : file);

/**
 * `describe` for tests of a package's built output (say, that the build keeps decorator
 * metadata). With every file present the tests run. With one missing they fail when the build
 * is required (`ACME_REQUIRE_DIST=1`, as a full test run after a build sets it, or CI) and are
 * skipped otherwise, with the reason in the suite name and on stderr.
 *
 * @example describeBuiltDist('built dist keeps decorator metadata', [new URL('../dist/index.js', import.meta.url)], () => { ... });
 */
export function describeBuiltDist(name: string, files: readonly (string | URL)[], fn: () => void, options: DescribeBuiltDistOptions = {}): void {
  const missing = files.map(pathOf).filter((file) => !existsSync(file));
  if (missing.length === 0) {
    describe(name, fn);
    return;
  }
  const required = options.required ?? (process.env[REQUIRE_DIST_ENV] === '1' || Boolean(process.env.CI));
  const buildCommand = options.buildCommand ?? 'pnpm build';
  const shown = missing.map((file) => relative(process.cwd(), file));
  if (required) {
    describe(name, () => {
      it('has the build it tests', () => {
        throw new DistMissingError(shown, buildCommand);
      });
    });
    return;
  }
  const reason = `not built (${shown.join(', ')} missing): run \`${buildCommand}\` to run these tests`;
  console.warn(`[@acme/nest-testing] skipping "${name}": ${reason}`);
  describe.skip(`${name} (skipped: ${reason})`, fn);
}
