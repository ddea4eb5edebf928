import { describeBuiltDist } from '@acme/nest-testing/vitest';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, ROOT } from '../../consumers/test/support/pack-packages';
import { checkReadmes, suiteReadmes, readmeBlocks, type CheckedReadmes } from './support/readme-blocks';

// The TypeScript of the root README and of every package README, compiled the way a user's NestJS 12 ESM app compiles it
// (tsc, module nodenext, strict, decorators) against the built packages, imported by name.
// ```ts blocks compile as written; ```ts fragment blocks are excerpts and are not compiled; a
// quick start never starts with a fragment. What a block leaves out it says with `...`, and only those
// names come from elided/<package>.ts. The convention: root README, "Writing a package README".
const HERE = join(import.meta.dirname, '..');
// Inside this project (so the blocks resolve the packages from its node_modules), git-ignored.
const tempDir = () => {
  mkdirSync(join(HERE, '.tmp'), { recursive: true });
  return mkdtempSync(join(HERE, '.tmp', 'run-'));
};
const ELIDED = join(HERE, 'elided');
const readmes = suiteReadmes(ROOT);
const packages = readdirSync(join(ROOT, 'packages'));
const dists = packages.flatMap((name) => ['index.js', 'index.d.ts'].map((file) => join(ROOT, 'packages', name, 'dist', file)));

describeBuiltDist('READMEs', dists, () => {
  let work: string;
  let checked: CheckedReadmes;

  beforeAll(() => {
    for (const name of packages) assertBuilt(`@acme/${name}`);
    work = tempDir();
    checked = checkReadmes(readmes, work, ELIDED);
  });
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  describe.each(Object.keys(readmes))('%s', (readme) => {
    const blocks = readmeBlocks(readme, readmes[readme]!);
    const compiled = blocks.filter((block) => !block.fragment);

    it('has a quick start that compiles as written (its first block is not a fragment)', () => {
      expect(compiled.length, `${readme} has no \`\`\`ts block that compiles`).toBeGreaterThan(0);
      const quickStart = blocks.find((block) => /quick start/i.test(block.section));
      if (quickStart) expect(quickStart.fragment, `${readme}:${quickStart.line} starts the quick start: use \`\`\`ts, not \`\`\`ts fragment`).toBe(false);
    });

    it.runIf(compiled.length > 0).each(compiled.map((block) => [block.line, block.section || '(top)', block] as const))(
      'the block at line %i (%s) compiles',
      (_line, _section, block) => {
        const placed = checked.blocks.find((candidate) => candidate.readme === readme && candidate.line === block.line);
        expect(placed, `the block at line ${block.line} was not written (see the other test's failures)`).toBeDefined();
        expect(checked.diagnostics.get(placed!.file)).toEqual([]);
      },
    );

    it('takes from elided/ only names some block leaves out with `...`', () => {
      expect(checked.unusedElided.get(readme) ?? [], `exports of examples/readmes/elided that no block of ${readme} leaves out`).toEqual([]);
    });
  });

  it('compiles the elided/ files and finds no clash between blocks', () => {
    expect(checked.other).toEqual([]);
  });
});

// The check itself, on a README made for it: a block that does not compile fails at its README
// line, a fragment is not compiled, a name comes from elided/ only where the block says `...`,
// and a named block is importable by the others.
describe('the README check', () => {
  const readme = [
    '# demo',
    '## Quick start',
    '```ts',
    '// limits.ts',
    'export const limit: number = 10;',
    '```',
    '```ts',
    "import { limit } from './limits.js';",
    'const total: number = limit + answer; // ... answer: yours',
    '```',
    '```ts',
    'const wrong: string = 42;',
    'const missing = answer + 1;',
    '```',
    '```ts fragment',
    'this.is.not.compiled(',
    '```',
  ].join('\n');
  let work: string;
  let checked: CheckedReadmes;

  beforeAll(() => {
    work = tempDir();
    const elided = join(work, 'elided');
    mkdirSync(elided);
    writeFileSync(join(elided, 'demo.ts'), 'export const answer = 32;\nexport const unused = 1;\n');
    checked = checkReadmes({ 'packages/demo/README.md': readme }, join(work, 'blocks'), elided);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('reports each error at its README line, compiles what is right, and lists unused elided names', () => {
    const byLine = Object.fromEntries(checked.blocks.map((block) => [block.line, checked.diagnostics.get(block.file)!]));
    expect(Object.keys(byLine)).toEqual(['4', '8', '12']);
    expect(byLine[4]).toEqual([]);
    // `answer` is left out with `...` there: it comes from elided/demo.ts. Not on line 13.
    expect(byLine[8]).toEqual([]);
    expect(byLine[12]).toEqual([
      expect.stringMatching(/^packages\/demo\/README\.md:12:\d+ TS2322: Type 'number' is not assignable to type 'string'/),
      expect.stringMatching(/^packages\/demo\/README\.md:13:\d+ TS2304: Cannot find name 'answer'/),
    ]);
    expect(checked.other).toEqual([]);
    expect(checked.unusedElided.get('packages/demo/README.md')).toEqual(['unused']);
  });
});
