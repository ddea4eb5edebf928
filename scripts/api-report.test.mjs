// Tests of scripts/api-report.mjs on a one-package workspace in a temp folder: the report is
// written by --update, a check passes while the declarations match it, and fails (saying how to fix
// it, with the diff) once a public signature changes. Run: pnpm test:scripts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const script = join(root, 'scripts/api-report.mjs');
let workspace;
let pkg;

const declarations = `/** Options of {@link greet}. */
export interface GreetOptions {
    /** @default '!' */
    punctuation?: string;
}
/** Says hello. */
export declare function greet(name: string, options?: GreetOptions): string;
`;

function run(...args) {
  const result = spawnSync(process.execPath, [script, '--root', workspace, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

before(() => {
  workspace = mkdtempSync(join(tmpdir(), 'api-report-test-'));
  pkg = join(workspace, 'packages/greet');
  mkdirSync(join(pkg, 'dist'), { recursive: true });
  // Type resolution (@types/node) as in the real workspace.
  symlinkSync(join(root, 'node_modules'), join(workspace, 'node_modules'), 'dir');
  writeFileSync(
    join(pkg, 'package.json'),
    JSON.stringify({
      name: '@acme/greet',
      version: '0.1.0',
      type: 'module',
      exports: { '.': { import: { types: './dist/index.d.ts', default: './dist/index.js' } } },
    }),
  );
  writeFileSync(join(pkg, 'dist/index.d.ts'), declarations);
});

after(() => rmSync(workspace, { recursive: true, force: true }));

test('a missing report fails the check and names the command that writes it', () => {
  const { status, output } = run();
  assert.equal(status, 1, output);
  assert.match(output, /@acme\/greet: packages\/greet\/api\/greet\.api\.md is missing \(run pnpm api:update\)/);
});

test('--update writes packages/<pkg>/api/<pkg>.api.md from the built declarations', () => {
  const { status, output } = run('--update');
  assert.equal(status, 0, output);
  const report = readFileSync(join(pkg, 'api/greet.api.md'), 'utf8');
  assert.match(report, /^export function greet\(name: string, options\?: GreetOptions\): string;$/m);
  assert.match(report, /^\s+punctuation\?: string;$/m);
});

test('the check passes while the declarations match the report', () => {
  const { status, output } = run();
  assert.equal(status, 0, output);
  assert.match(output, /All API reports match the built declarations\./);
});

test('a changed public signature fails the check with the diff and how to fix it', () => {
  writeFileSync(join(pkg, 'dist/index.d.ts'), declarations.replace('name: string, options', 'name: string, times: number, options'));
  try {
    const { status, output } = run();
    assert.equal(status, 1, output);
    assert.match(output, /^-export function greet\(name: string, options\?: GreetOptions\): string;$/m);
    assert.match(output, /^\+export function greet\(name: string, times: number, options\?: GreetOptions\): string;$/m);
    assert.match(output, /greet\.api\.md differs from the built declarations \(run pnpm api:update\)/);
    assert.match(output, /run `pnpm api:update` and commit the updated report\(s\) together with a changeset/);
    // The check never rewrites the report.
    assert.doesNotMatch(readFileSync(join(pkg, 'api/greet.api.md'), 'utf8'), /times: number/);
  } finally {
    writeFileSync(join(pkg, 'dist/index.d.ts'), declarations);
  }
});

test('a change of a type the API uses but does not export by name fails the check too', () => {
  writeFileSync(join(pkg, 'dist/index.d.ts'), declarations.replace('export interface GreetOptions', 'interface GreetOptions'));
  const changed = declarations.replace('export interface GreetOptions', 'interface GreetOptions');
  try {
    assert.equal(run('--update').status, 0);
    writeFileSync(join(pkg, 'dist/index.d.ts'), changed.replace('punctuation?: string', 'punctuation?: string | null'));
    const { status, output } = run();
    assert.equal(status, 1, output);
    assert.match(output, /^\+\s+punctuation\?: string \| null;$/m);
  } finally {
    writeFileSync(join(pkg, 'dist/index.d.ts'), declarations);
    run('--update');
  }
});

test('an unbuilt package fails and says to build first', () => {
  rmSync(join(pkg, 'dist/index.d.ts'));
  try {
    const { status, output } = run();
    assert.equal(status, 1, output);
    assert.match(output, /@acme\/greet: \.\/dist\/index\.d\.ts is missing \(run pnpm build first\)/);
    assert.ok(existsSync(join(pkg, 'api/greet.api.md')));
  } finally {
    writeFileSync(join(pkg, 'dist/index.d.ts'), declarations);
  }
});
