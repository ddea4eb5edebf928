import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');
/** Lines without indentation and blank lines: what a reader copies. */
const lines = (text: string) => text.split('\n').map((line) => line.trim()).filter(Boolean);

/**
 * The README's TypeScript must compile as written: every ```ts block appears, line for line, in
 * test/readme-examples.ts, which the package's typecheck compiles.
 */
describe('README', () => {
  const readme = read('../README.md');
  const examples = lines(read('./readme-examples.ts')).join('\n');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => lines(match[1]!).join('\n'));

  it('has TypeScript blocks', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
  });

  it.each(blocks.map((block, i) => [i, block.split('\n')[0], block] as const))(
    'block %i (%s) is in test/readme-examples.ts, which compiles',
    (_i, _first, block) => {
      expect(examples).toContain(block);
    },
  );
});
