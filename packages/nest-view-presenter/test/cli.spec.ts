import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));

/** Runs the CLI from source, from the package directory, as `view-contract-lint <args>`. */
function lint(...args: string[]) {
  const run = spawnSync(tsx, ['src/cli.ts', ...args], { cwd: packageDir, encoding: 'utf8', timeout: 30_000 });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

describe('view-contract-lint <module>', () => {
  it('reports every smell of every exported schema, naming the export and field, and exits 1', () => {
    const { code, out } = lint('./test/fixtures/contracts.mjs', '--exclude', 'Input$');
    expect(code).toBe(1);
    const lines = out.trim().split('\n');
    expect(lines.filter((line) => line.startsWith('DealView.')).map((line) => line.replace(/:.*\[/, ' ['))).toEqual([
      'DealView.status [enum-not-title-case]',
      'DealView.nickname [optional-field]',
      'DealView.created_at [date-object]',
      'DealView.contact_count [count-not-non-negative-int]',
      'DealView.owner [passthrough]',
      'DealView.channel [union-without-discriminator]',
    ]);
    expect(out).toContain('"proposal_sent" is not Title Case');
    // The presenter shares DealView's schema: checked once. CleanView is clean, the input excluded.
    expect(lines.at(-1)).toBe('2 view schema(s) checked, 6 problem(s).');
    expect(out).not.toContain('UpdateDealInput');
  });

  it('exits 0 on clean contracts, and --include narrows the exports', () => {
    expect(lint('./test/fixtures/clean-contracts.mjs')).toMatchObject({ code: 0, out: '1 view schema(s) checked, 0 problem(s).\n' });
    expect(lint('./test/fixtures/contracts.mjs', '--include', '^Clean')).toMatchObject({ code: 0 });
  });

  it('exits 2 with usage or a reason when it cannot lint', () => {
    expect(lint()).toMatchObject({ code: 2, err: expect.stringContaining('Usage: view-contract-lint <module>') });
    expect(lint('./test/fixtures/contracts.mjs', '--include', 'Nothing')).toMatchObject({ code: 2, err: expect.stringContaining('exports no Zod schema') });
    expect(lint('./test/fixtures/missing.mjs')).toMatchObject({ code: 2, err: expect.stringContaining('view-contract-lint:') });
  });
});
